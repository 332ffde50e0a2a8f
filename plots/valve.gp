# The valve: what the controller commanded and where the stem actually was.
# Variables: datafile, outbase, title_text, events (a file of markers, or ''), plotdir.
load plotdir.'/common.gp'
set title title_text
# Event markers (windows, sensor faults, fail-safe) when heatbench wrote any.
if (strlen(events) > 0) { load events }
set ylabel 'valve %'
# From closed to a little above the highest level used: a valve that stays under 20 % gets
# the height of the plot, not a fifth of it.
set yrange [-1:*]
set offsets 0, 0, graph 0.1, 0
do for [fmt in "png svg"] {
    if (fmt eq "png") { eval png_term } else { eval svg_term }
    set output outbase.'.'.fmt
    # The position first and the command over it, dashed: where the stem follows the command
    # both stay visible.
    plot datafile using 1:(column("valve_pos")) with lines lw 3 lc rgb '#90caf9' title 'position', \
         '' using 1:(column("level_cmd")) with steps lw 1.5 dt 2 lc rgb '#e65100' title 'command'
    unset output
}
