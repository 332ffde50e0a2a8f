# bash completion for heatbench. Commands and options are read from `heatbench --help` and
# `heatbench COMMAND --help`, so completion follows the program it completes; scenario arguments
# complete to files and to the names of the shipped scenarios.
_heatbench() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local hb=${words[0]}
    if [ "$cword" -eq 1 ]; then
        local cmds
        cmds=$("$hb" --help 2>/dev/null | awk '/^commands:/ {on = 1; next} on && /^$/ {exit} on && /^  [a-z]/ {print $1}')
        COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
        return
    fi
    local cmd=${words[1]}
    case $prev in
        -o | --output | --report | --convergence | --password-file | --cafile | --cert | --key | --scenario | --config | --state-file)
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --rule)
            COMPREPLY=($(compgen -W "tl zn no-overshoot simc amigo" -- "$cur"))
            return
            ;;
        --log-format)
            COMPREPLY=($(compgen -W "auto text journal" -- "$cur"))
            return
            ;;
        --controller)
            case $cmd in
                tune) COMPREPLY=($(compgen -W "pid mpc" -- "$cur")) ;;
                control) COMPREPLY=($(compgen -W "pid bangbang" -- "$cur")) ;;
                *) COMPREPLY=($(compgen -W "pid bangbang mpc pid-ff pid-os pid-ff-os" -- "$cur")) ;;
            esac
            return
            ;;
    esac
    if [[ $cur == -* ]]; then
        local opts
        opts=$("$hb" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
        COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
        return
    fi
    case $cmd in
        run | check | tune | live)
            local dir shipped=""
            dir="$(dirname "$(command -v "$hb" 2>/dev/null || echo "$hb")")/../share/heatbench/scenarios"
            [ -d "$dir" ] && shipped=$(cd "$dir" && ls *.json 2>/dev/null | sed 's/\.json$//')
            COMPREPLY=($(compgen -f -- "$cur") $(compgen -W "$shipped" -- "$cur"))
            ;;
        report | sweep)
            COMPREPLY=($(compgen -f -- "$cur"))
            ;;
    esac
}
complete -F _heatbench heatbench
