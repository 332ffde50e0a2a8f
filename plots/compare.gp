# Several traces overlaid: air temperature (top) and valve position (bottom).
# Variables: files (space-separated trace paths), labels (space-separated), outbase,
# band (K), bandcols (1 when the first trace has the band_lo/band_hi columns of a schedule),
# title_text, plotdir. The comfort band is the first trace's (every trace of a comparison runs
# the same scenario).
load plotdir.'/common.gp'
n = words(files)
# Same margins for both panels, so their time axes line up.
set lmargin 10
set rmargin 18
do for [fmt in "png svg"] {
    if (fmt eq "png") {
        set terminal pngcairo size 1100,760 font 'DejaVu Sans,10' noenhanced
    } else {
        set terminal svg size 1100,760 font 'DejaVu Sans,10' noenhanced
    }
    set output outbase.'.'.fmt
    set multiplot layout 2,1 title title_text
    set ylabel 'air °C'
    unset xlabel
    set format x ''
    set key outside right top vertical
    lo(c) = bandcols ? column("band_lo") : column("setpoint") - band
    hi(c) = bandcols ? column("band_hi") : column("setpoint") + band
    plot word(files, 1) using 1:(lo(0)) with lines lc rgb '#2e7d32' dt 2 notitle, \
         word(files, 1) using 1:(hi(0)) with lines lc rgb '#2e7d32' dt 2 title 'comfort band', \
         for [i=1:n] word(files, i) using 1:(column("t_air")) with lines lw 1.5 lc i \
             title word(labels, i)
    set ylabel 'valve %'
    set xlabel 'time of day (h:min)'
    set format x '%H:%M'
    set yrange [-2:102]
    plot for [i=1:n] word(files, i) using 1:(column("valve_pos")) with lines lw 1.2 lc i \
             title word(labels, i)
    unset multiplot
    unset output
    set yrange [*:*]
}
