"""Target 3: does a big log file slow an emission down?

The same emit (Slack and mail) for reports whose log file is 20 MB and 2 kB. Target:
ratio at most 1.1 (notifications use the stored tail and read only the file's end).
"""

from __future__ import annotations

from benchmarks.harness import Row, Sizes, interleaved, median, ms
from benchmarks.servers import Servers
from benchmarks.workload import Reports, emit, handlers, mail_handler, slack_handler

LIMIT = 1.1


def measure(sizes: Sizes, fake: Servers, reports: Reports) -> list[Row]:
    config = {"slack": slack_handler(fake), "mail": mail_handler()}
    small = reports.make(sizes.log_size, log_size=2_000)
    big = reports.make(sizes.log_size, log_size=20_000_000)
    with handlers(config):
        emit(reports.make(1)[0], 2)
        times = interleaved(
            sizes.log_size,
            {"small": lambda run: emit(small[run], 2), "big": lambda run: emit(big[run], 2)},
        )
    ratio = median(times["big"]) / median(times["small"])
    return [
        Row("3", "emit, 2 kB log file", ms(median(times["small"]))),
        Row(
            "3",
            "emit, 20 MB log file",
            ms(median(times["big"])),
            f"{ratio:.2f}x",
            f"<= {LIMIT}x",
            ratio <= LIMIT,
        ),
    ]
