# Training/evaluation commands for scripts/gpu/parzc_device.sh (CMD='. scripts/gpu/parzc_device_cmd.sh'),
# run with Z (zcnas), DB and OUT set. The docs/RESULTS.md ParZC numbers came from these steps,
# spread over several device calls (the device budget was 30 min).
R=$OUT/results.jsonl
tr() { local tag=$1 ds=$2 n=$3 s=$4; shift 4; $Z predictor train --kind parzc --space nb201 --dataset $ds --n-train $n --seed $s --device cuda --db $DB -o /tmp/$tag.pt --json "$@" > /tmp/tr.json 2>>$OUT/train.log; echo "{\"tag\":\"$tag\",\"train\":$(cat /tmp/tr.json)}" >> $R; }
ev() { $Z predictor eval --model /tmp/$1.pt --space nb201 --cached-only --sample 1000 --seed 7 --db $DB --json > /tmp/ev.json 2>>$OUT/train.log; echo "{\"tag\":\"$1\",\"eval\":$(cat /tmp/ev.json)}" >> $R; }
tr c10_156_s0 cifar10 156 0; ev c10_156_s0
tr c10_1563_e2 cifar10 1563 0 --epochs 2     # timing only
tr c100_156_s0 cifar100 156 0; ev c100_156_s0
