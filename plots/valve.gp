# The valve: what the controller commanded and where the stem actually was.
# Variables: datafile, outbase, title_text, plotdir.
load plotdir.'/common.gp'
set title title_text
set ylabel 'valve %'
set yrange [-2:102]
do for [fmt in "png svg"] {
    if (fmt eq "png") { eval png_term } else { eval svg_term }
    set output outbase.'.'.fmt
    plot datafile using 1:(column("level_cmd")) with steps lw 1.5 lc rgb '#ef6c00' title 'command', \
         '' using 1:(column("valve_pos")) with lines lw 2 lc rgb '#1565c0' title 'position'
    unset output
}
