"""A pytest plugin (registered in tests/conftest.py, so the xdist controller loads it too)
that prints what the secrecy property covered."""


def pytest_terminal_summary(terminalreporter):
    """What the secrecy property covered, summed over every test that ran (and every xdist
    worker): (viewer, hidden record) pairs tried, derived views (pages, exports, the mailbox)
    snapshotted."""
    viewers = pairs = views = 0
    for key in ("passed", "failed"):
        for report in terminalreporter.stats.get(key, []):
            if getattr(report, "when", "") != "call":
                continue
            found = dict(getattr(report, "user_properties", []))
            if "secrecy_pairs" in found:
                viewers += 1
                pairs += found["secrecy_pairs"]
                views += found["secrecy_views"]
    if viewers:
        terminalreporter.write_line(
            f"secrecy property: {viewers} viewers, {pairs} (viewer, hidden record) pairs, "
            f"{views} derived views (pages, exports, mailbox), each compared after the "
            "records were created, edited and destroyed"
        )
