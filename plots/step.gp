# The tuner's step test: the room's response to a step of the valve (the paired difference of
# the estimate, step run minus baseline run) and the FOPDT model fitted to it.
# Variables: datafile (CSV time_s,dy,fit), outbase, title_text, plotdir.
set datafile separator ','
set datafile columnheaders
set title title_text
set xlabel 'minutes since the step'
set ylabel 'temperature change K'
set grid lc rgb '#dddddd'
set key outside bottom center horizontal
set border lc rgb '#555555'
set autoscale xfix
png_term = "set terminal pngcairo size 1100,420 font 'DejaVu Sans,10' noenhanced"
svg_term = "set terminal svg size 1100,420 font 'DejaVu Sans,10' noenhanced"
do for [fmt in "png svg"] {
    if (fmt eq "png") { eval png_term } else { eval svg_term }
    set output outbase.'.'.fmt
    plot datafile using ($1/60):2 with points pt 7 ps 0.4 lc rgb '#1565c0' title 'measured', \
         '' using ($1/60):3 with lines lw 2 lc rgb '#c62828' title 'FOPDT fit'
    unset output
}
