"""The run's folder and the lifecycle of its logs; what a script logs is its own `Logger` (a subclass)."""

import contextlib
import json
import os
import time


class RunLogs:
    """A run's folder, `runs/{run_name}/`, opened for logging: args.json (what `--resume` continues with), a
    TensorBoard writer (mirrored to Weights & Biases with `--track`) and eval.csv, both cut back to the checkpoint
    when the run resumes; on stdout, the start line and a progress line every `--progress-interval` seconds.
    A script's `Logger` subclasses it with what it logs (scalars, window means, evaluations)."""

    def __init__(self, script, args, run_name, mode, device, eval_columns, resume=None):
        """`script`: the script's path; `resume`: the logger's part of the checkpoint of the run in `args.resume` that
        this process continues."""
        from torch.utils.tensorboard import SummaryWriter

        self.dir, self.track, self.columns = args.resume or f"runs/{run_name}", args.track, eval_columns
        if args.track:  # Weights & Biases, only when asked for; it mirrors the TensorBoard events
            try:
                import wandb
            except ImportError:
                raise SystemExit("--track logs to Weights & Biases, which is not installed: pip install wandb") from None
            wandb.init(
                project=args.wandb_project_name,
                entity=args.wandb_entity,
                name=os.path.basename(self.dir),
                id=os.path.basename(self.dir),  # a resumed run continues its W&B run
                resume="allow",
                config=vars(args),
                sync_tensorboard=True,
                save_code=True,
            )
        os.makedirs(self.dir, exist_ok=True)
        with open(f"{self.dir}/args.json.tmp", "w") as f:  # what --resume continues with
            json.dump({"script": os.path.basename(script), **vars(args)}, f, indent=1)
        os.replace(f"{self.dir}/args.json.tmp", f"{self.dir}/args.json")
        self.total_steps, self.interval = args.total_timesteps, args.progress_interval
        self.eval_time, self.learning_since = 0.0, None  # for the learning speed, evaluation left out
        self.last_step, self.latest_eval = 0, "none yet"
        self.start_time, self.last_time = time.time(), None  # last_time: of the last progress line
        if resume is None:
            self.writer = SummaryWriter(self.dir)
            self.writer.add_text(
                "hyperparameters", "|param|value|\n|-|-|\n" + "\n".join(f"|{k}|{v}|" for k, v in vars(args).items())
            )
            self.csv = open(f"{self.dir}/eval.csv", "w", buffering=1)
            self.csv.write(",".join(["global_step", *eval_columns, "wall_time"]) + "\n")
        else:  # what was logged after the checkpoint is dropped: this process repeats those steps
            self.writer = SummaryWriter(self.dir, purge_step=resume["step"] + 1)
            with open(f"{self.dir}/eval.csv") as f:
                header, *rows = f.read().splitlines()
            with open(f"{self.dir}/eval.csv.tmp", "w") as f:
                f.writelines(
                    f"{row}\n" for row in [header, *rows] if row is header or int(row.split(",")[0]) <= resume["step"]
                )
            os.replace(f"{self.dir}/eval.csv.tmp", f"{self.dir}/eval.csv")
            self.csv = open(f"{self.dir}/eval.csv", "a", buffering=1)
            self.start_time -= resume["wall_time"]  # eval.csv's wall_time goes on from where it stopped
            self.last_step, self.latest_eval = resume["step"], resume["latest_eval"]
            if resume["learning"]:
                self.learning_started(resume["step"])
            print(f"resuming {self.dir}/ from its checkpoint at step {resume['step']}")
        print(
            f"{args.exp_name}: {args.env}, mode {mode}, seed {args.seed}; {device}, {args.threads} torch thread(s); "
            f"{args.total_timesteps} steps; logging to {self.dir}/",
            flush=True,
        )

    def progress(self, step):
        """A progress line every `--progress-interval` seconds, the first one that long after the loop's first step
        (the set-up is not counted). It gives the last interval's speed, and the time left at the average speed since
        learning started, evaluations included: the random warm-up's speed and one interval's say little about it."""
        now = time.time()
        if self.interval <= 0:
            return
        if self.last_time is None:  # the loop's first step
            self.last_time, self.last_step = now, step - 1
        if now - self.last_time < self.interval:
            return
        sps = (step - self.last_step) / (now - self.last_time)
        left = "time left: once learning has run a while"
        if self.learning_since is not None and step > self.learning_since[1]:
            t0, step0, _ = self.learning_since
            seconds = (self.total_steps - step) * (now - t0) / (step - step0)
            left = f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m left"
        print(
            f"{step}/{self.total_steps} steps ({100 * step / self.total_steps:.1f}%), {sps:.1f} steps/s, {left}; "
            f"last evaluation: {self.latest_eval}",
            flush=True,
        )
        self.last_time, self.last_step = now, step

    def learning_started(self, step):
        self.learning_since = (time.time(), step, self.eval_time)

    def state(self, step):
        """The logger's part of a checkpoint at `step`."""
        self.writer.flush()
        return {
            "step": step,
            "wall_time": time.time() - self.start_time,
            "latest_eval": self.latest_eval,
            "learning": self.learning_since is not None,
        }

    @contextlib.contextmanager
    def evaluating(self):
        """Time spent inside is left out of the learning speed."""
        t0 = time.time()
        yield
        self.eval_time += time.time() - t0

    def learning_speed(self, step):
        """Environment steps per second since learning started, evaluation left out (None before it started)."""
        if self.learning_since is None:
            return None
        t, step0, eval0 = self.learning_since
        return (step - step0) / max(time.time() - t - (self.eval_time - eval0), 1e-9)

    def done(self, step, summary):
        """The closing line of a finished run."""
        sps = self.learning_speed(step)
        speed = "" if sps is None else f"; {sps:.1f} steps/s while learning (evaluation excluded)"
        print(f"done: {step} steps in {time.time() - self.start_time:.0f}s{speed}; {summary}")

    def close(self):
        self.writer.close()
        self.csv.close()
        if self.track:
            import wandb

            wandb.finish()
