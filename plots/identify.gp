# heatbench identify: the room's fused reading against the identified model's free run (the
# model driven by the recorded valve and weather from the first reading, never corrected), with
# the start of the held-out part marked.
# Variables: datafile (CSV time_s,measured,model), outbase, title_text, split_h, plotdir.
set datafile separator ','
set datafile columnheaders
set title title_text
set xlabel 'hours'
set ylabel 'air temperature °C'
set grid lc rgb '#dddddd'
set key outside bottom center horizontal
set border lc rgb '#555555'
set autoscale xfix
set arrow 1 from split_h, graph 0 to split_h, graph 1 nohead dt 2 lc rgb '#777777'
set label 1 'held out' at split_h, graph 0.95 offset 0.5,0 left tc rgb '#555555'
png_term = "set terminal pngcairo size 1100,420 font 'DejaVu Sans,10' noenhanced"
svg_term = "set terminal svg size 1100,420 font 'DejaVu Sans,10' noenhanced"
do for [fmt in "png svg"] {
    if (fmt eq "png") { eval png_term } else { eval svg_term }
    set output outbase.'.'.fmt
    plot datafile using ($1/3600):2 with points pt 7 ps 0.3 lc rgb '#1565c0' title 'measured (fused)', \
         '' using ($1/3600):3 with lines lw 2 lc rgb '#c62828' title 'model, free run'
    unset output
}
