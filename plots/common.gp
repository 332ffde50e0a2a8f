# Shared settings of the heatbench report plots. Loaded by every template with
#   load plotdir.'/common.gp'
# Variables set by heatbench (gnuplot -e): datafile(s), outbase, title_text, plotdir.
set datafile separator ','
set datafile missing ''
set datafile columnheaders
set xdata time
set timefmt '%s'
set format x '%H:%M'
set xlabel 'time of day (h:min)'
# The x axis ends where the data ends, not at the next tic mark.
set autoscale xfix
set grid lc rgb '#dddddd'
set key outside bottom center horizontal
set border lc rgb '#555555'
# Both outputs from one script: call the plot macro once per terminal.
png_term = "set terminal pngcairo size 1100,480 font 'DejaVu Sans,10' noenhanced"
svg_term = "set terminal svg size 1100,480 font 'DejaVu Sans,10' noenhanced"
