"""Coverage over time: the network on a date, a series of dates, the pace to 2030.

* :mod:`~phusong.progress.rollout` — on-air dates, ``--as-of`` and the dates
  of a series (the network as it stood on a day);
* :mod:`~phusong.progress.series` — coverage of every ward on many dates,
  reusing the per-site work between dates;
* :mod:`~phusong.progress.run` — :func:`~phusong.progress.run.run_progress`
  (``phusong progress``): the series, the pace and every dated target.

The audit imports only :mod:`~phusong.progress.rollout`; this file imports
nothing, so that doing so stays light (``phusong.run_progress`` is the public
entry point).
"""
