"""Two-process DDP on CPU (gloo) through torchrun: one event stream, written by rank 0 only."""
import json

from test_train_run import CONFIG, assert_valid, run_train, train_env


def test_two_process_gloo_ddp_runs_and_only_rank0_writes(tmp_path):
    events, rc, stderr = run_train(CONFIG, "output_dir=%s" % tmp_path, "max_steps=6", "save_steps=3",
                                   extra=("--nproc", "2"), env=train_env(), timeout=180)
    assert rc == 0, stderr
    assert_valid(events)
    started = [e for e in events if e["type"] == "started"]
    assert len(started) == 1 and started[0]["world_size"] == 2
    # 80 samples over 2 ranks, batch 4: 10 batches per rank per epoch
    assert started[0]["steps_per_epoch"] == 10 and started[0]["num_train_samples"] == 80
    assert [e["step"] for e in events if e["type"] == "step"] == [1, 2, 3, 4, 5, 6]
    assert [e["step"] for e in events if e["type"] == "checkpoint"] == [3, 6]
    assert sum(e["type"] == "finished" for e in events) == 1
    log = [json.loads(l)["current_steps"] for l in (tmp_path / "trainer_log.jsonl").read_text().splitlines()]
    assert log == [1, 2, 3, 4, 5, 6]
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*")) == ["checkpoint-3", "checkpoint-6"]
    step = next(e for e in events if e["type"] == "step")
    assert step["samples_per_s"] > 0 and step["loss"] is not None
