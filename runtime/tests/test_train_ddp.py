"""Several processes through torchrun's own flags: two nodes simulated on this machine (two launches of
`train --nnodes 2 --node-rank i` on 127.0.0.1, gloo). One event stream, written by global rank 0 only."""

import json
import socket
import subprocess

from test_train_run import CONFIG, assert_valid, train_cmd, train_env


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_nodes_on_gloo_and_only_rank0_writes(tmp_path):
    port = _free_port()
    sets = ("finetuning_type=full", "output_dir=%s" % tmp_path, "max_steps=4", "save_steps=2", "ddp_backend=gloo")
    procs = [
        subprocess.Popen(
            train_cmd(
                CONFIG,
                *sets,
                extra=(
                    "--nnodes",
                    "2",
                    "--node-rank",
                    str(rank),
                    "--master-addr",
                    "127.0.0.1",
                    "--master-port",
                    str(port),
                ),
            ),
            env=train_env(),
            cwd=str(CONFIG.parent),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in (0, 1)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-3000:] for o in outs]
    events = [json.loads(l) for l in outs[0][0].splitlines() if l.strip()]
    assert outs[1][0].strip() == ""  # node 1 (global rank 1) writes no events
    assert_valid(events)
    launch = events[0]
    assert launch["type"] == "launch" and launch["world_size"] == 2 and launch["nnodes"] == 2
    started = [e for e in events if e["type"] == "started"]
    assert len(started) == 1 and started[0]["world_size"] == 2
    assert [e["step"] for e in events if e["type"] == "step"] == [1, 2, 3, 4]
    assert [e["step"] for e in events if e["type"] == "checkpoint"] == [2, 4]
    assert sum(e["type"] == "finished" for e in events) == 1
    log = [json.loads(l)["current_steps"] for l in (tmp_path / "trainer_log.jsonl").read_text().splitlines()]
    assert log == [1, 2, 3, 4]
