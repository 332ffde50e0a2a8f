# Tuning: the cost of every optimiser evaluation (log scale) and the path of the gains.
# Variables: datafile (convergence CSV: evaluation,cost,kp,ki,kd), outbase, title_text, plotdir.
load plotdir.'/common.gp'
set xdata
set format x '%g'
set xlabel 'evaluation'
do for [fmt in "png svg"] {
    if (fmt eq "png") {
        set terminal pngcairo size 1100,700 font 'DejaVu Sans,10' noenhanced
    } else {
        set terminal svg size 1100,700 font 'DejaVu Sans,10' noenhanced
    }
    set output outbase.'.'.fmt
    set multiplot layout 2,1 title title_text
    set ylabel 'cost'
    set logscale y
    plot datafile using (column("evaluation")):(column("cost")) with points pt 7 ps 0.5 \
             lc rgb '#1565c0' title 'cost of each evaluation'
    unset logscale y
    set ylabel 'gain'
    plot datafile using (column("evaluation")):(column("kp")) with linespoints pt 7 ps 0.4 \
             lc rgb '#c62828' title 'kp (%/K)', \
         '' using (column("evaluation")):(column("ki")) with linespoints pt 7 ps 0.4 \
             lc rgb '#2e7d32' title 'ki (%/(K·h))'
    unset multiplot
    unset output
}
