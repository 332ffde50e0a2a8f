# Heat: the radiator's output, and the cumulative energy against the energy floor (the least heat
# that keeps the comfort band, solved before the run; sim/hb_energy.h).
# Variables: datafile, outbase, title_text, events (a file of markers, or ''), floorcol (1 when
# the trace has the floor_kwh column), plotdir.
load plotdir.'/common.gp'
set title title_text
# Event markers (windows, sensor faults, fail-safe) when heatbench wrote any.
if (strlen(events) > 0) { load events }
set ylabel 'radiator output W'
set y2label 'cumulative kWh'
set ytics nomirror
set y2tics
# A trace without the floor (recorded from a real room, or older) plots without it, silently.
floorplot = floorcol ? ", '' using 1:(column('floor_kwh')) axes x1y2 with lines lw 2 dt 2 lc rgb '#2e7d32' title 'energy floor'" : ""
do for [fmt in "png svg"] {
    if (fmt eq "png") { eval png_term } else { eval svg_term }
    set output outbase.'.'.fmt
    eval "plot datafile using 1:(column('q_rad_w')) with lines lc rgb '#c62828' title 'radiator output', ".\
         "'' using 1:(column('energy_kwh')) axes x1y2 with lines lw 2 lc rgb '#1565c0' title 'energy used'".floorplot
    unset output
}
