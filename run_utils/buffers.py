"""The off-policy scripts' replay buffer: preallocated tensors, uniform sampling, and a state for checkpoints."""

import torch


class ReplayBuffer:
    """Uniform replay. Stores `terminated` only: a time-limit truncation still bootstraps."""

    def __init__(self, size, obs_dim, act_dim, device):
        self.size, self.ptr, self.full = size, 0, False
        self.obs = torch.empty((size, obs_dim), device=device)
        self.next_obs = torch.empty((size, obs_dim), device=device)
        self.actions = torch.empty((size, act_dim), device=device)
        self.rewards = torch.empty((size, 1), device=device)
        self.dones = torch.empty((size, 1), device=device)

    def add(self, obs, next_obs, action, reward, terminated):
        i = self.ptr
        self.obs[i] = torch.as_tensor(obs)
        self.next_obs[i] = torch.as_tensor(next_obs)
        self.actions[i] = torch.as_tensor(action)
        self.rewards[i] = float(reward)
        self.dones[i] = float(terminated)
        self.ptr = (i + 1) % self.size
        self.full = self.full or self.ptr == 0

    def sample_idx(self, n):
        return torch.randint(0, self.size if self.full else self.ptr, (n,), device=self.obs.device)

    def sample(self, n):
        """A uniform batch (s, a, r, s', terminated)."""
        idx = self.sample_idx(n)
        return self.obs[idx], self.actions[idx], self.rewards[idx], self.next_obs[idx], self.dones[idx]

    def state_dict(self):
        """The filled rows (copies, so a checkpoint does not hold the empty rest) and the write position."""
        n = self.size if self.full else self.ptr
        rows = {k: getattr(self, k)[:n].clone() for k in ("obs", "next_obs", "actions", "rewards", "dones")}
        return {"ptr": self.ptr, "full": self.full, **rows}

    def load_state_dict(self, state):
        n = len(state["obs"])
        for k in ("obs", "next_obs", "actions", "rewards", "dones"):
            getattr(self, k)[:n] = state[k]
        if state["full"] and n == self.size:
            self.ptr, self.full = state["ptr"], True
        else:  # not full yet, or a buffer made larger by a larger --total-timesteps: the rows are its first n
            self.ptr, self.full = n % self.size, n == self.size
