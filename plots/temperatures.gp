# Temperatures of one trace: true air, each sensor's readings, the controller's estimate, the
# setpoint with its comfort band, and the outdoor temperature on the second axis.
# Variables: datafile, outbase, title_text, events (a file of markers, or ''), nsensors,
# band (K), bandcols (1 when the trace has the band_lo/band_hi columns of a schedule), plotdir.
load plotdir.'/common.gp'
set title title_text
# Event markers (windows, sensor faults, fail-safe) when heatbench wrote any.
if (strlen(events) > 0) { load events }
set ylabel 'room °C'
set y2label 'outdoor °C'
set ytics nomirror
set y2tics
# Muted colours for the sensors, so the true air (red) and the estimate (blue) stand out.
sensor_colours = "#9e9e9e #ffb74d #ba68c8 #4db6ac #a1887f #f06292 #aed581 #90a4ae"
do for [fmt in "png svg"] {
    if (fmt eq "png") { eval png_term } else { eval svg_term }
    set output outbase.'.'.fmt
    plot datafile using 1:(bandcols ? column("band_lo") : column("setpoint")-band):(bandcols ? column("band_hi") : column("setpoint")+band) with filledcurves \
             fc rgb '#cfe8cf' fs solid 0.6 noborder title 'comfort band', \
         '' using 1:(column("setpoint")) with lines lc rgb '#2e7d32' dt 2 title 'setpoint', \
         for [i=1:nsensors] '' using 1:(column(sprintf("sensor_%d", i))) with points pt 7 ps 0.25 \
             lc rgb word(sensor_colours, (i-1)%8+1) title sprintf('sensor %d', i), \
         '' using 1:(column("t_air")) with lines lw 2 lc rgb '#c62828' title 'air (true)', \
         '' using 1:(column("t_est")) with lines lw 1.5 lc rgb '#1565c0' title 'estimate', \
         '' using 1:(column("t_out")) axes x1y2 with lines lc rgb '#757575' title 'outdoor'
    unset output
}
