# shellcheck shell=bash
# tests/bench/jobbench.sh: figure 7 (placeholder while being written).
bench_job_figure() { :; }
bench_job_cleanup() { :; }
