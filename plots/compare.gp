# Several traces overlaid: air temperature (top) and valve position (bottom).
# Variables: files (space-separated trace paths), labels (space-separated), outbase,
# setpoint, band, title_text, plotdir.
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
    plot setpoint-band with lines lc rgb '#2e7d32' dt 2 notitle, \
         setpoint+band with lines lc rgb '#2e7d32' dt 2 title 'comfort band', \
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
