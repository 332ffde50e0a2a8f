# The plots of a sweep report (heatbench report RESULTS.jsonl). Variables set by heatbench:
# title_text, nparam (number of swept numeric parameters), params (their keys, space-separated).
# Data files in the working directory, whitespace-separated, written by report/hb_sweep_report.c:
#   runs.dat     controller discomfort_kh energy_ratio valve_travel_pct actuator_msgs p1 .. pK
#   pareto.dat   per controller (a gnuplot index each): discomfort_kh energy_ratio of its front
#   param_K.dat  per controller (an index each): value, then median q1 q3 of discomfort and of
#                energy ratio over the runs with that value
# Controllers are named by words of the first column; index I of the per-controller files is
# the I-th word of ctls.
set grid lc rgb '#dddddd'
set border lc rgb '#555555'
set datafile missing 'NaN'
n = words(ctls)
set terminal pngcairo size 1100,760 font 'DejaVu Sans,10' noenhanced
set output 'box.png'
set style fill solid 0.3 border -1
set style boxplot outliers pointtype 7
set style data boxplot
set boxwidth 0.5
set xrange [0.5:n + 0.5]
set xtics () nomirror
do for [i=1:n] {
    set xtics add (word(ctls, i) i)
}
set multiplot layout 2,2 title title_text.': per controller'
kpis = "discomfort_kh energy_ratio valve_travel_pct actuator_msgs"
do for [k=1:4] {
    set title word(kpis, k)
    plot for [i=1:n] 'runs.dat' using (i):(strcol(1) eq word(ctls, i) ? column(k + 1) : NaN) \
        lc i notitle
}
unset multiplot
set xtics auto
set autoscale x
unset title
set output 'pareto.png'
set title title_text.': discomfort against energy, each controller''s Pareto front'
set xlabel 'discomfort K·h'
set ylabel 'energy ratio (to the floor)'
set key outside right top vertical
plot for [i=1:n] 'runs.dat' using (strcol(1) eq word(ctls, i) ? $2 : NaN):3 \
        with points pt 7 ps 0.6 lc i title word(ctls, i), \
     for [i=1:n] 'pareto.dat' index (i - 1) using 1:2 with linespoints lw 2 pt 6 lc i \
        title word(ctls, i).' front'
set key inside top right vertical
do for [k=1:nparam] {
    set output sprintf('param_%d.png', k)
    set multiplot layout 1,2 title title_text.': '.word(params, k).' (median, quartiles)'
    set xlabel word(params, k)
    set ylabel 'discomfort K·h'
    unset title
    plot for [i=1:n] sprintf('param_%d.dat', k) index (i - 1) using 1:2:3:4 \
        with yerrorlines lc i title word(ctls, i)
    set ylabel 'energy ratio'
    plot for [i=1:n] sprintf('param_%d.dat', k) index (i - 1) using 1:5:6:7 \
        with yerrorlines lc i title word(ctls, i)
    unset multiplot
}
