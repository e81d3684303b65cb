"""``run_plan``: propose new sites, re-audit with them, and top up until the target holds."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from phusong import __version__
from phusong.audit import AuditResult, ProgressFn, run_audit
from phusong.errors import ConfigError
from phusong.goals import Goal
from phusong.io.files import input_record
from phusong.models import FOOTPRINT_MODELS as VECTOR_MODELS
from phusong.options import PLAN, check
from phusong.summary import jsonable

if TYPE_CHECKING:
    from phusong.planning import Method, PlanResult
    from phusong.planning.required import RequiredSites, TargetLedger

log = logging.getLogger(__name__)


#: What each coverage figure of :attr:`PlanRun.summary` counts.
COVERAGE_WEIGHTING: dict[str, str] = {
    "population_coverage_pct": "population-weighted: share of the residents living where 5G reaches",
    "area_coverage_pct": "area-weighted: share of the land 5G reaches",
}

#: Candidates closer than this to an already proposed site are not offered again [m].
SAME_POSITION_M = 1.0

#: Smallest gap polygon the plan's audits list [m²]: every gap, however small, is demand.
PLAN_MIN_GAP_AREA_M2 = 0.0


@dataclass
class PlanRun:
    """Everything a planning job produced (:func:`run_plan`).

    Attributes
    ----------
    before : AuditResult
        Audit of the existing network.
    plan : PlanResult
        The final proposal, all rounds combined: ``sites`` are numbered
        ``NEW-0001``… in the order they were added (``order`` 1, 2, …; a later
        round's sites follow the earlier ones), ``wards`` and ``curve`` are the
        planner's estimates (``curve`` has a ``round`` column), ``summary`` is
        the first round's with the totals of every round.
    after : AuditResult or None
        Full re-audit with the existing and the proposed sites (same model and
        parameters); ``None`` when ``verify=False``.
    rounds : int
        Planning rounds used.
    summary : dict
        JSON-able figures: see :func:`run_plan`.
    round_plans : list of PlanResult
        The proposal of each round, as the planner returned it.
    """

    before: AuditResult
    plan: PlanResult
    after: AuditResult | None
    rounds: int
    summary: dict[str, Any]
    round_plans: list[PlanResult] = field(default_factory=list, repr=False)

    @property
    def meets_target(self) -> bool | None:
        """Whether the re-audit meets the target (``None`` without a re-audit)."""
        return self.summary.get("meets_target_after")

    def new_sites(self) -> pd.DataFrame:
        """One row per proposed site, in the order added.

        Returns
        -------
        DataFrame
            ``order``, ``site_id``, ``round``, ``ward_id``, ``ward`` (name; empty
            outside every ward), ``lat_deg``, ``lon_deg`` [degrees], ``cells``
            and ``covered_people_gain`` (people the site adds, estimated on the
            planner's demand grid; NaN for a site placed for a target place)
            [people], ``reason`` (``coverage``, or ``target place P001 (name)``
            for a site placed so that a target place is covered).
        """
        from phusong.planning.required import COVERAGE_REASON

        sites = self.plan.sites
        one = sites.drop_duplicates("site_id").sort_values("order", kind="mergesort")
        cells = sites.groupby("site_id", sort=False).size()
        ends = np.cumsum([h["n_new_sites"] for h in self.summary.get("history", [])] or [len(one)])
        order = one["order"].to_numpy("int64")
        ward_id, ward_name = _site_wards(one, self.before.wards)
        return pd.DataFrame(
            {
                "order": order,
                "site_id": one["site_id"].astype(str).to_numpy(),
                "round": np.searchsorted(ends, order, side="left") + 1,
                "ward_id": ward_id,
                "ward": ward_name,
                "lat_deg": one["lat_deg"].to_numpy("float64"),
                "lon_deg": one["lon_deg"].to_numpy("float64"),
                "cells": one["site_id"].map(cells).to_numpy("int64"),
                "covered_people_gain": one["covered_people_gain"].to_numpy("float64"),
                "reason": (  # issue #15: why the site is proposed
                    one["reason"].astype(str).to_numpy() if "reason" in one else COVERAGE_REASON
                ),
            }
        )

    def ward_table(self) -> pd.DataFrame:
        """Per ward: coverage before and after (both audited) and the new sites.

        Returns
        -------
        DataFrame
            ``ward_id``, ``name``, ``population`` [people],
            ``population_coverage_pct_before`` / ``_after`` (population-weighted)
            and ``area_coverage_pct_before`` / ``_after`` (area-weighted) [%],
            ``covered_population_before`` / ``_after`` and
            ``newly_covered_population`` [people] (audited; NaN without a
            re-audit), ``estimated_newly_covered_population`` [people] (the
            planner's estimate), ``new_sites``, ``meets_target_before`` /
            ``_after``, then what the figures are: ``scenario`` (planning),
            ``model``, ``coverage_layer``, ``reliability``, ``threshold_dbm``,
            ``population_source``. Wards with most new sites first.
        """
        cols = ["population_coverage_pct", "area_coverage_pct", "covered_population"]
        base = self.before.wards[["ward_id", "name", "population", *cols]].copy()
        base = pd.DataFrame(base.drop(columns="geometry", errors="ignore"))
        base["ward_id"] = base["ward_id"].astype(str)
        base = base.rename(columns={c: f"{c}_before" for c in cols})
        if self.after is not None:
            after = pd.DataFrame(self.after.wards[["ward_id", *cols]]).copy()
            after["ward_id"] = after["ward_id"].astype(str)
            base = base.merge(
                after.rename(columns={c: f"{c}_after" for c in cols}),
                on="ward_id",
                how="left",
                validate="1:1",
            )
        else:
            for c in cols:
                base[f"{c}_after"] = np.nan
        base["newly_covered_population"] = (
            base["covered_population_after"] - base["covered_population_before"]
        )
        est = self.plan.wards[["ward_id", "newly_covered_population"]].copy()
        est["ward_id"] = est["ward_id"].astype(str)
        base["estimated_newly_covered_population"] = (
            base["ward_id"].map(est.set_index("ward_id")["newly_covered_population"]).fillna(0.0)
        )
        counts = self.new_sites()["ward_id"].value_counts()
        base["new_sites"] = base["ward_id"].map(counts).fillna(0).astype("int64")
        target = float(self.summary["target_pct"])
        base["meets_target_before"] = base["population_coverage_pct_before"] >= target - 1e-9
        base["meets_target_after"] = base["population_coverage_pct_after"] >= target - 1e-9
        order = [
            "ward_id",
            "name",
            "population",
            "population_coverage_pct_before",
            "population_coverage_pct_after",
            "area_coverage_pct_before",
            "area_coverage_pct_after",
            "covered_population_before",
            "covered_population_after",
            "newly_covered_population",
            "estimated_newly_covered_population",
            "new_sites",
            "meets_target_before",
            "meets_target_after",
        ]
        # physics (issue #12): what the figures are (model, layer, reliability, threshold, people)
        from phusong.layers import LABEL_COLUMNS

        labels = [c for c in ("scenario", *LABEL_COLUMNS) if c in self.before.wards]
        ids = self.before.wards["ward_id"].astype(str).to_numpy()
        for c in labels:
            base[c] = base["ward_id"].map(pd.Series(self.before.wards[c].to_numpy(), index=ids))
        order += labels
        return (
            base[order]
            .sort_values(
                ["new_sites", "estimated_newly_covered_population", "ward_id"],
                ascending=[False, False, True],
                kind="mergesort",
            )
            .reset_index(drop=True)
        )


def _site_wards(sites: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(ward_id, ward name) of each site point; empty strings outside every ward."""
    import shapely

    ids = np.full(len(sites), "", dtype=object)
    names = np.full(len(sites), "", dtype=object)
    if not len(sites) or not len(wards):
        return ids, names
    w = wards.to_crs(sites.crs) if sites.crs is not None else wards
    pts, hit = shapely.STRtree(w.geometry.to_numpy()).query(
        sites.geometry.to_numpy(), predicate="intersects"
    )
    first_pt, first = np.unique(pts, return_index=True)  # a site on a border: first ward
    ids[first_pt] = w["ward_id"].astype(str).to_numpy()[hit[first]]
    names[first_pt] = w["name"].astype(str).to_numpy()[hit[first]]
    return ids, names


def load_candidates(candidates: Any, wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame | pd.DataFrame:
    """Candidate positions from a file, an upload or a table.

    Parameters
    ----------
    candidates : path, file object, bytes, GeoDataFrame or DataFrame
        A site file in any format :func:`phusong.io.sites.read_sites` reads
        (operator sheet CSV/XLSX with ``lat``/``lon``, OpenCelliD CSV, or a
        GeoJSON/GeoPackage/zipped Shapefile of points; every radio is kept;
        one candidate per ``site_id``, rows without one become one candidate
        each), or a vector file of polygons (e.g. rooftops; a point on each
        surface is used); read by :func:`phusong.io.candidates.read_candidates`.
        Tables are passed through unchanged (see
        :func:`phusong.planning.candidates_from`).
    wards : GeoDataFrame
        Study area: rows far outside it are rejected (and logged).

    Returns
    -------
    GeoDataFrame or DataFrame
        What :func:`phusong.planning.propose_sites` accepts as ``candidates``.

    Raises
    ------
    DataError
        The file cannot be read as candidate positions.
    """
    if isinstance(candidates, pd.DataFrame):
        return candidates
    from phusong.io.candidates import read_candidates

    return read_candidates(candidates, study_area=wards)


def _excluded_zones(excluded: Any) -> gpd.GeoSeries | None:
    """User exclusion zones as one GeoSeries (``None``: none).

    Shapely geometries without a CRS are taken as EPSG:4326; a path or file
    object is read with :func:`phusong.io.wards.read_zones`.
    """
    import shapely

    if excluded is None:
        return None
    if isinstance(excluded, shapely.Geometry):
        return gpd.GeoSeries([excluded], crs="EPSG:4326")
    if isinstance(excluded, (list, tuple)):
        return gpd.GeoSeries(list(excluded), crs="EPSG:4326")
    if isinstance(excluded, gpd.GeoDataFrame):
        return excluded.geometry
    if isinstance(excluded, gpd.GeoSeries):
        return excluded
    from phusong.io.wards import read_zones

    return read_zones(excluded)  # a file: path or file object


def _with_taken_positions(
    zones: gpd.GeoSeries | None, taken: gpd.GeoDataFrame | None, crs: Any
) -> gpd.GeoSeries | None:
    """Add a 1 m disc around each already proposed site to the exclusion zones."""
    if taken is None or not len(taken):
        return zones
    pts = taken.drop_duplicates("site_id").to_crs(crs).geometry.buffer(SAME_POSITION_M)
    if zones is None or not len(zones):
        return pts.to_crs("EPSG:4326")
    if zones.crs is None:  # let the planner report the missing CRS
        return zones
    return gpd.GeoSeries(
        pd.concat([zones.to_crs("EPSG:4326"), pts.to_crs("EPSG:4326")], ignore_index=True),
        crs="EPSG:4326",
    )


def _combine_plans(plans: list[PlanResult]) -> PlanResult:
    """One proposal from the rounds': sites renumbered ``NEW-0001``… in the order added."""
    from phusong.planning import PlanResult

    first, last = plans[0], plans[-1]
    if len(plans) == 1:
        curve = first.curve.assign(round=1)
        return replace(first, curve=curve[["round", *first.curve.columns]])
    offsets = np.concatenate([[0], np.cumsum([int(p.summary["n_sites"]) for p in plans])])
    sites = gpd.GeoDataFrame(
        pd.concat(
            [_renumbered_sites(p.sites, int(o)) for p, o in zip(plans, offsets, strict=False)],
            ignore_index=True,
        ),
        geometry="geometry",
        crs=first.sites.crs,
    )
    curve = pd.concat(
        [
            p.curve.assign(round=r, n_sites=p.curve["n_sites"] + int(o))
            for r, (p, o) in enumerate(zip(plans, offsets, strict=False), start=1)
        ],
        ignore_index=True,
    )[["round", *first.curve.columns]]
    summary = dict(first.summary)
    summary.update(
        n_sites=int(offsets[-1]),
        newly_covered_population=float(sum(p.summary["newly_covered_population"] for p in plans)),
        coverage_after_pct=last.summary["coverage_after_pct"],
        goal_reached=last.summary["goal_reached"],
        time_s=float(sum(p.summary["time_s"] for p in plans)),
    )
    crs = first.candidates.crs
    return PlanResult(
        sites=sites,
        wards=_combined_wards(plans),
        curve=curve,
        summary=summary,
        candidates=gpd.GeoDataFrame(_by_round(p.candidates for p in plans), crs=crs),
        demand=gpd.GeoDataFrame(_by_round(p.demand for p in plans), crs=crs),
        greedy=first.greedy,
        milp=first.milp,
    )


def _renumbered_sites(sites: gpd.GeoDataFrame, offset: int) -> gpd.GeoDataFrame:
    """Shift a round's proposed cells' ``order`` and renumber them ``NEW-<order>-<sector>``."""
    s = sites.copy()
    order = s["order"].to_numpy("int64") + offset
    sector = s["cell_id"].astype(str).str.rsplit("-", n=1).str[-1].to_numpy()
    site_id = np.array([f"NEW-{o:04d}" for o in order], dtype=object)
    s["order"] = order
    s["site_id"] = pd.array(site_id, dtype="string")
    s["cell_id"] = pd.array([f"{a}-{b}" for a, b in zip(site_id, sector, strict=True)], "string")
    return s


def _by_round(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Stack the rounds' tables, each row with its ``round`` (1, 2, …)."""
    return pd.concat([f.assign(round=r) for r, f in enumerate(frames, start=1)], ignore_index=True)


def _combined_wards(plans: list[PlanResult]) -> pd.DataFrame:
    """Add up every round's new people and sites in the planner's ward table."""
    wards = plans[0].wards.copy()
    gained = sum(p.wards.set_index("ward_id")["newly_covered_population"] for p in plans).reindex(
        wards["ward_id"]
    )
    wards["newly_covered_population"] = gained.to_numpy("float64")
    wards["covered_population_after"] = (
        wards["covered_population_before"] + wards["newly_covered_population"]
    )
    pop = wards["population"].where(wards["population"] > 0)
    wards["population_coverage_pct_after"] = 100.0 * wards["covered_population_after"] / pop
    wards["new_sites"] = (
        sum(p.wards.set_index("ward_id")["new_sites"] for p in plans)
        .reindex(wards["ward_id"])
        .to_numpy("int64")
    )
    return wards.sort_values(
        ["newly_covered_population", "ward_id"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)


def _stage_progress(say: ProgressFn, n_stages: int) -> Callable[[int, str], ProgressFn]:
    """``stage(i, label)`` → a callback mapping a stage's 0–1 onto its share of the job."""

    def stage(i: int, label: str) -> ProgressFn:
        lo, hi = min(i, n_stages) / n_stages, min(i + 1, n_stages) / n_stages

        def inner(step: str, frac: float) -> None:
            say(f"{label}: {step}", lo + (hi - lo) * min(max(float(frac), 0.0), 1.0))

        return inner

    return stage


def run_plan(
    sites: Any,
    wards: Any = None,
    *,
    target_pct: float | None = None,
    budget: int | None = None,
    candidates: Any = None,
    min_spacing_m: float = PLAN["min_spacing_m"].default,
    excluded: Any = None,
    operator: str | None = None,
    method: str = PLAN["method"].default,
    verify: bool = True,
    max_rounds: int = PLAN["max_rounds"].default,
    time_limit_s: float = PLAN["time_limit_s"].default,
    progress: ProgressFn | None = None,
    plan_options: dict[str, Any] | None = None,
    ward_floor_pct: float | None = None,  # issue #16 (app): every ward at least X %
    targets: Any = None,  # issue #15: target places (judged by every audit)
    cover_targets: bool = PLAN["cover_targets"].default,  # issue #15: … and covered by the plan
    before: AuditResult | None = None,  # issue #17: the audit of the network, already made
    **audit_kwargs: Any,
) -> PlanRun:
    """Propose new sites to reach the goal, and check the proposal by re-auditing.

    Parameters
    ----------
    sites : path, file object, bytes or DataFrame
        The existing network, as for :func:`run_audit`.
    wards : path, file object, GeoDataFrame or None
        Ward boundaries; ``None`` uses the shipped Hà Nội wards.
    target_pct : float, optional
        Population coverage to reach [%] (population-weighted); default the
        goal's target (99 % unless ``goal=`` is given). Also sets the audits'
        goal when ``goal`` is not given.
    budget : int, optional
        Instead: the best population coverage with at most this many new
        sites (one round; the target is then only the yardstick).
    candidates : path, file object, bytes, GeoDataFrame or DataFrame, optional
        Allowed new-site positions (see :func:`load_candidates`): a site file
        (operator sheet, OpenCelliD CSV, points GeoJSON/GPKG…), a vector file
        of polygons, or a table. Default: a grid in and around the gaps.
    min_spacing_m : float
        Minimum distance between two proposed sites and from a proposed site
        to an existing site of the same operator [m]; holds across rounds.
    excluded : GeoDataFrame, GeoSeries, shapely geometry or list, optional
        Zones where no site may go (no CRS given = EPSG:4326).
    operator : str, optional
        Operator of the new sites; default as
        :func:`phusong.planning.propose_sites` chooses in the first round
        (kept for later rounds).
    method : {"greedy", "milp", "both"}
        Solver (see :func:`phusong.planning.propose_sites`).
    verify : bool
        Re-audit with the existing and proposed sites (default). Without it,
        ``after`` is ``None`` and the figures after are the planner's estimate.
    max_rounds : int
        Most planning rounds in target mode (≥ 1).
    time_limit_s : float
        MILP time limit per round [s].
    progress : callable, optional
        ``progress(step, fraction)`` over the whole job.
    ward_floor_pct : float, optional
        Every ward must also reach this population coverage [%] (greedy,
        target mode; :mod:`phusong.planning.floors`); rounds continue until
        the re-audit meets the target *and* every floor. The summary then holds
        ``ward_floor_pct``, ``meets_ward_floor_after`` and
        ``wards_below_floor_after``.
    targets : path, file object, GeoDataFrame or PlacesRead, optional
        Target places (:mod:`phusong.io.targets`), read once and judged by
        every audit (``place_min_share_pct`` as for :func:`run_audit`).
    cover_targets : bool
        The plan must also leave every target place covered by its own rule
        (:mod:`phusong.planning.required`): each round first places sites for
        the places the last audit judged not covered, re-audits, then plans
        for the coverage target on what is left. Needs ``targets`` and
        ``verify``. In budget mode these sites count against the budget (a
        budget smaller than the sites they need is refused). The summary then
        holds ``targets_covered_before`` / ``_after``,
        ``targets_uncovered_after`` (with the reason for each) and
        ``target_sites``.
    plan_options : dict, optional
        Further options of :func:`phusong.planning.propose_sites`
        (``demand_cell_m``, ``candidate_spacing_m``, ``new_site``,
        ``mip_rel_gap``).
    before : AuditResult, optional
        An audit of ``sites`` on ``wards`` already made with these
        ``audit_kwargs`` (the app's, say): used as the audit of the existing
        network instead of auditing again, judged against the plan's goal
        (:meth:`AuditResult.with_goal`). It must be :func:`run_audit`'s, of
        the same site and ward files (SHA-256) and with the same options but
        the goal; on the raster route its ``min_gap_area_m2`` may differ
        (the planner's demand is the audit's unserved pixels, not its gap
        polygons). Anything else is refused (``ConfigError`` naming what
        differs), never used.
    **audit_kwargs
        Options of :func:`run_audit` (``model``, ``threshold_dbm``,
        ``resolution_m``, ``radius_m``, ``operators``, ``goal``, …), used for
        every audit. ``min_gap_area_m2`` defaults to **0** here (not
        10,000 m²) so that every gap, however small, is demand; it changes the
        gap polygons listed, never the coverage figures.

    Returns
    -------
    PlanRun
        ``summary`` holds (JSON-able, no timings, so that the same inputs give
        the same summary): ``population_coverage_pct_before`` /
        ``_after`` (population-weighted) and ``area_coverage_pct_before`` /
        ``_after`` (area-weighted) from the audits, with ``weighting`` saying
        which is which; ``estimated_population_coverage_pct_after`` (the
        planner's); ``target_pct``, ``mode``, ``budget``, ``n_new_sites``,
        ``n_new_cells``, ``meets_target_before`` / ``meets_target_after``
        (``None`` unverified), ``verified``, ``method`` / ``method_used``,
        ``greedy_gap`` / ``greedy_bound`` (the greedy's gap to a proven bound,
        first round; ``None`` when unknown), ``milp_status``, ``rounds``,
        ``max_rounds``, ``history`` (per round: sites added, coverage at the
        start, the planner's estimate, the audited figure), ``operator``,
        ``model`` / ``model_label``, ``synthetic``, ``goal``, ``inputs``,
        ``parameters`` and a plain-words ``note``.

    Raises
    ------
    ConfigError
        An invalid option; the message names the argument. Defaults and
        bounds are those of :data:`phusong.options.PLAN`.
    DataError
        Unusable sites, wards or candidates.

    Notes
    -----
    Verification loop. The planner estimates coverage on a demand grid (see
    :mod:`phusong.planning`), so a plan estimated at 99.00 % can re-audit at
    98.99 %. After each round the existing plus all proposed sites are
    re-audited (:meth:`PlanResult.sites_for_audit` through :func:`run_audit`,
    same model and parameters). In target mode, while the re-audit is below
    the target and rounds remain, the next round plans on the re-audit's
    gaps, adding to the existing + proposed network (spacing and exclusions
    still hold; positions already used are not offered again). Rounds stop
    early when one adds no site. The summary says plainly when the target is
    still not met.

    For disc and sector models the planner gives the sectors of a new site a
    beamwidth of ``360°/sectors`` (:mod:`phusong.planning`), so that
    re-reading them (re-audit, or ``proposed_sites.csv``) gives the disc the
    plan counted rather than the readers' default 65° wedges.
    """
    say = progress or _silent
    if ward_floor_pct is not None:  # issue #16 (app): the floor goes to the planner
        floor = check("ward_floor_pct", ward_floor_pct, PLAN)
        plan_options = {**(plan_options or {}), "ward_floor_pct": floor}
    options = _checked_options(
        target_pct=target_pct,
        budget=budget,
        min_spacing_m=min_spacing_m,
        method=method,
        verify=verify,
        max_rounds=max_rounds,
        time_limit_s=time_limit_s,
        operator=operator,
        plan_options=plan_options,
        audit_kwargs=audit_kwargs,
        targets=targets,
        cover_targets=cover_targets,
    )
    stage = _stage_progress(say, 1 + options.max_rounds * (2 if verify else 1))
    if before is not None:  # issue #17: the audit the caller already has
        before = _audit_given(before, sites, wards, options.audit_kwargs)
        stage(0, "auditing the existing network")("done", 1.0)
    else:
        before = run_audit(
            sites, wards, progress=stage(0, "auditing the existing network"), **options.audit_kwargs
        )
    setting = _setting_from_audit(before, options, candidates, excluded)
    rounds = _plan_rounds(before, options, setting, stage)
    summary = _plan_summary(before, rounds, options, setting)
    from phusong.planning.floors import floor_summary  # issue #16 (app): every ward ≥ X %

    summary.update(floor_summary(rounds.after, options.plan_options.get("ward_floor_pct")))
    summary.update(_targets_figures(before, rounds, options))  # issue #15: target places
    summary["note"] = " ".join(x for x in (summary["note"], _targets_note(summary)) if x)
    given_files = {
        key: rec
        for key, source in (
            ("candidates", candidates),
            ("excluded", excluded),
            ("targets", targets),  # issue #15
        )
        if (rec := input_record(source)) is not None
    }
    summary["inputs"] = {**summary["inputs"], **given_files}  # SHA-256 of every input file
    say("done", 1.0)
    return PlanRun(
        before=before,
        plan=rounds.plan,
        after=rounds.after,
        rounds=len(rounds.plans),
        summary=summary,
        round_plans=rounds.plans,
    )


def _audit_given(before: Any, sites: Any, wards: Any, audit_kwargs: dict[str, Any]) -> AuditResult:
    """Issue #17: the caller's audit of the network, checked to be this plan's, with its goal.

    Raises
    ------
    ConfigError
        ``before`` is not :func:`run_audit`'s result of these files with these
        options (the message names what differs).
    """
    from phusong.audit import audit_request, goal_of
    from phusong.io.wards import shipped_wards_path

    def refuse(why: str) -> ConfigError:
        return ConfigError(
            f"before: {why}; pass the audit of these sites made with these options, "
            "or leave before out (the plan then audits the network itself)."
        )

    if not isinstance(before, AuditResult) or before.request is None:
        raise refuse("not an audit made by run_audit")
    made = before.summary.get("inputs", {})
    for name, source in (("sites", sites), ("wards", wards)):
        given = input_record(shipped_wards_path() if source is None else source)
        if given is None:
            raise refuse(f"the {name} are a table in memory: they cannot be matched to its files")
        if (made.get(name) or {}).get("sha256") != given["sha256"]:
            raise refuse(f"it audited other {name} ({(made.get(name) or {}).get('name')})")
    want = audit_request(**{k: v for k, v in audit_kwargs.items() if k != "goal"})
    got = before.request
    gaps_free = before.params.route == "raster"  # the demand is its pixels, not its gaps
    differ = sorted(
        k for k in set(want) | set(got)
        if want.get(k) != got.get(k) and not (gaps_free and k == "min_gap_area_m2")
    )  # fmt: skip
    if differ:
        raise refuse("it was made with other options: " + ", ".join(differ))
    return before.with_goal(goal_of(audit_kwargs.get("goal"), audit_kwargs.get("goal_metric")))


def _silent(step: str, fraction: float) -> None:
    """Progress callback that reports nothing."""


@dataclass(frozen=True)
class _Options:
    """The options of :func:`run_plan`, checked.

    ``max_rounds`` is the number of rounds allowed: 1 in budget mode.
    ``audit_kwargs`` are the options of every :func:`run_audit` (with the
    plan's ``min_gap_area_m2`` default and goal).
    """

    target_pct: float | None
    budget: int | None
    min_spacing_m: float
    method: Method
    verify: bool
    max_rounds: int
    time_limit_s: float
    operator: str | None
    plan_options: dict[str, Any]
    audit_kwargs: dict[str, Any]
    cover_targets: bool = False  # issue #15: every target place covered

    @property
    def mode(self) -> str:
        """``"budget"`` (best coverage with N sites) or ``"target"`` (fewest sites)."""
        return "budget" if self.budget is not None else "target"


def _checked_options(
    *,
    target_pct: float | None,
    budget: int | None,
    min_spacing_m: float,
    method: str,
    verify: bool,
    max_rounds: int,
    time_limit_s: float,
    operator: str | None,
    plan_options: dict[str, Any] | None,
    audit_kwargs: dict[str, Any],
    targets: Any = None,
    cover_targets: bool = False,
) -> _Options:
    """Check every option against :data:`phusong.options.PLAN` before any audit runs.

    Raises
    ------
    ConfigError
        A bad value (the message names the argument), or an operator without
        5G spectrum on record.
    """
    solver: Method = check("method", method, PLAN)
    max_rounds = check("max_rounds", max_rounds, PLAN)
    budget = None if budget is None else check("budget", budget, PLAN)
    min_spacing_m = check("min_spacing_m", min_spacing_m, PLAN)
    time_limit_s = check("time_limit_s", time_limit_s, PLAN)
    if target_pct is not None:
        target_pct = PLAN["target"].check(target_pct, "target_pct")
    if operator is not None:
        from phusong.planning import default_new_site

        default_new_site(operator)  # an unknown operator fails before the audit
    for key in ("sites", "wards", "progress"):
        if key in audit_kwargs:  # pragma: no cover - Python already refuses these
            raise ConfigError(f"{key}: given twice.")
    kw = dict(audit_kwargs)
    kw.setdefault("min_gap_area_m2", PLAN_MIN_GAP_AREA_M2)
    cover = _checked_cover_targets(targets, cover_targets, verify)  # issue #15
    if targets is not None:  # read once: every audit of the plan judges the same places
        from phusong.io.targets import places_input

        kw["targets"] = places_input(targets)
    if target_pct is not None and kw.get("goal") is None:
        kw["goal"] = Goal.target(float(target_pct), kw.get("goal_metric") or "population")
    return _Options(
        target_pct=target_pct,
        budget=budget,
        min_spacing_m=min_spacing_m,
        method=solver,
        verify=bool(verify),
        max_rounds=1 if budget is not None else max_rounds,
        time_limit_s=time_limit_s,
        operator=operator,
        plan_options=dict(plan_options or {}),
        audit_kwargs=kw,
        cover_targets=cover,
    )


def _checked_cover_targets(targets: Any, cover_targets: Any, verify: Any) -> bool:
    """Issue #15: ``cover_targets`` checked; it needs target places and the re-audits.

    Raises
    ------
    ConfigError
        ``cover_targets`` without ``targets``, or with ``verify=False``.
    """
    cover = bool(check("cover_targets", cover_targets, PLAN))
    if cover and targets is None:
        raise ConfigError(
            "cover_targets: there are no target places to cover; give a places file "
            "with targets=… (--targets FILE), or leave cover_targets off."
        )
    if cover and not verify:
        raise ConfigError(
            "cover_targets: whether a place is covered is judged by re-auditing; "
            "keep verify=True, or leave cover_targets off."
        )
    return cover


@dataclass(frozen=True)
class _Setting:
    """What the audit of the existing network fixes for every round.

    Attributes
    ----------
    target : float
        Population coverage to reach [%].
    candidates : GeoDataFrame, DataFrame or None
        The candidates read once (``None``: the planner's grid).
    zones : GeoSeries or None
        The user's exclusion zones.
    metric_crs : pyproj.CRS
        Equal-area CRS of the wards (taken positions are buffered in it).
    audit_kwargs_after : dict
        Options of the re-audits: the first audit's operators, and its radio
        filter widened to keep the new NR sites.
    """

    target: float
    candidates: gpd.GeoDataFrame | pd.DataFrame | None
    zones: gpd.GeoSeries | None
    metric_crs: Any
    audit_kwargs_after: dict[str, Any]


def _setting_from_audit(
    before: AuditResult, options: _Options, candidates: Any, excluded: Any
) -> _Setting:
    """Target, candidates, exclusion zones and re-audit options, from the first audit.

    Raises
    ------
    ConfigError
        The audit's goal counts area, not people.
    """
    from phusong.geo import equal_area_crs

    goal = before.params.goal
    if goal.metric != "population":
        raise ConfigError(
            "goal_metric: planning reaches a population target; use goal_metric='population'."
        )
    # The existing sites were filtered once, in the first audit; the new ones are NR.
    radio = before.params.radio
    return _Setting(
        target=float(goal.target_pct if options.target_pct is None else options.target_pct),
        candidates=(
            load_candidates(candidates, before.ward_table) if candidates is not None else None
        ),
        zones=_excluded_zones(excluded),
        metric_crs=equal_area_crs(before.ward_table),
        audit_kwargs_after={
            **options.audit_kwargs,
            "radio": radio if radio is None or "NR" in radio else None,
            "operators": before.params.operators,
            # progress (issue #15): the existing sites were filtered by as_of once, in the
            # first audit; the re-audits keep them and the new (undated) sites
            "as_of": None,
            # physics (issue #12): the re-audits place people as the first audit did
            "population": _same_population(before, options.audit_kwargs),
        },
    )


def _same_population(before: AuditResult, audit_kwargs: dict[str, Any]) -> str:
    """Return the ``population`` option that gives the re-audits the first audit's people."""
    asked = str(audit_kwargs.get("population") or "auto")
    if asked != "auto" or audit_kwargs.get("population_raster") is not None:
        return asked
    source = str(before.summary.get("population_source", ""))
    return "uniform" if source.startswith("uniform") else "worldpop"


@dataclass
class _Rounds:
    """The planning loop's record: each round's plan, their combination, the last re-audit."""

    plans: list[PlanResult] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    combined: PlanResult | None = None
    after: AuditResult | None = None
    ledger: TargetLedger | None = None  # issue #15: what the rounds did for target places

    @property
    def plan(self) -> PlanResult:
        """All rounds' proposals combined (:func:`_combine_plans`)."""
        if self.combined is None:  # pragma: no cover - the loop runs at least one round
            raise RuntimeError("no planning round ran")
        return self.combined


def _plan_rounds(
    before: AuditResult,
    options: _Options,
    setting: _Setting,
    stage: Callable[[int, str], ProgressFn],
) -> _Rounds:
    """Propose, combine and re-audit, round after round, until done.

    Round ``r`` uses progress stages ``2r − 1`` (proposing) and ``2r``
    (re-auditing). Stops after one round without verification or in budget
    mode, when a round adds no site, or when the re-audit meets the target
    (and every ward floor, and covers every target place that can be covered).

    Issue #15, ``cover_targets``: a round first places sites for the target
    places the last audit judged not covered
    (:func:`phusong.planning.required.required_sites`) and re-audits with
    them, so that the planner plans on the gaps they leave.
    """
    rounds = _Rounds()
    current, operator = before, options.operator
    if options.cover_targets:
        from phusong.planning.propose import new_site_operator
        from phusong.planning.required import TargetLedger

        rounds.ledger = TargetLedger()
        operator = new_site_operator(before, operator)  # the forced sites' and the planner's
    for rnd in range(1, options.max_rounds + 1):
        say = stage(2 * rnd - 1, f"round {rnd}")
        say("proposing new sites", 0.0)
        start = current
        forced, current = _target_sites(rnd, current, before, rounds, options, setting, operator)
        plan = _propose_round(current, before, rounds, options, setting, operator, forced)
        operator = plan.summary["operator"]
        rounds.plans.append(plan)
        rounds.combined = _combine_plans(rounds.plans)
        rounds.history.append(_history_entry(rnd, start, plan))
        if not options.verify:
            break
        planned = int(plan.summary["n_sites"]) - int(plan.summary.get("n_target_sites", 0))
        rounds.after = (
            current  # only sites for target places this round: their audit is the re-audit
            if planned == 0 and current is not start
            else _re_audit(before, rounds, setting, stage(2 * rnd, f"round {rnd}: re-auditing"))
        )
        coverage_after = float(rounds.after.summary["population_coverage_pct"])
        rounds.history[-1]["population_coverage_pct_after"] = coverage_after
        if rounds.ledger is not None:
            rounds.ledger.review(rounds.after, rnd)
        if options.mode == "budget" or plan.summary["n_sites"] == 0:
            break
        floor = options.plan_options.get("ward_floor_pct")  # issue #16 (app)
        pending = rounds.ledger.pending(rounds.after) if rounds.ledger is not None else []
        if coverage_after >= setting.target - 1e-9 and floors_met(rounds.after, floor):
            if not pending:
                break
        current = rounds.after
    return rounds


def _target_sites(
    rnd: int,
    current: AuditResult,
    before: AuditResult,
    rounds: _Rounds,
    options: _Options,
    setting: _Setting,
    operator: str | None,
) -> tuple[RequiredSites | None, AuditResult]:
    """Issue #15: sites for the target places ``current`` leaves uncovered, and their audit.

    Returns ``(None, current)`` without ``cover_targets`` or when every place
    is covered (or given up).

    Raises
    ------
    ConfigError
        Budget mode with a budget smaller than the sites the places need.
    """
    if rounds.ledger is None or operator is None or not rounds.ledger.pending(current):
        return None, current
    from phusong.planning.required import required_sites

    forced = required_sites(
        current,
        rounds.ledger,
        rnd,
        operator=operator,
        zones=setting.zones,
        min_spacing_m=options.min_spacing_m,
        new_site=options.plan_options.get("new_site"),
    )
    if options.budget is not None and forced.n_sites > options.budget:
        raise ConfigError(
            f"budget: covering the {len(rounds.ledger.attempts)} target places not covered "
            f"needs {forced.n_sites} new sites, more than the budget of {options.budget}; "
            f"raise the budget to at least {forced.n_sites}, or leave cover_targets off."
        )
    if forced.n_sites == 0:
        return forced, current
    cells = _proposed_with(rounds, forced)
    audited = _audit_with(before, gpd.GeoDataFrame(cells, geometry="geometry", crs=forced.sites.crs),
                          setting, _silent)  # fmt: skip
    return forced, audited


def _proposed_with(rounds: _Rounds, forced: RequiredSites | None) -> pd.DataFrame | None:
    """Cells proposed in earlier rounds plus this round's sites for target places (or ``None``)."""
    taken = rounds.combined.sites if rounds.combined is not None else None
    if forced is None or not forced.n_sites:
        return taken
    return forced.sites if taken is None else pd.concat([taken, forced.sites], ignore_index=True)


def floors_met(result: AuditResult, floor_pct: float | None) -> bool:
    """Issue #16 (app): whether every ward reaches the plan's floor (``True`` without one)."""
    from phusong.planning.floors import floor_met

    return floor_met(result, floor_pct)


def _propose_round(
    current: AuditResult,
    before: AuditResult,
    rounds: _Rounds,
    options: _Options,
    setting: _Setting,
    operator: str | None,
    forced: RequiredSites | None = None,
) -> PlanResult:
    """One round's proposal on the gaps of ``current``, away from positions already taken.

    Issue #15: the round's sites for target places (``forced``, already in
    ``current``) come first, count against a budget and are not offered again
    (:func:`phusong.planning.required.with_required`).

    Raises
    ------
    ConfigError
        The new sites' operator is not among the operators the audit keeps.
    """
    from phusong.planning import propose_sites
    from phusong.planning.required import with_required

    n_forced = forced.n_sites if forced is not None else 0
    taken = _proposed_with(rounds, forced)
    plan = propose_sites(
        current,
        target_pct=setting.target,
        budget=None if options.budget is None else options.budget - n_forced,
        candidates=setting.candidates,
        min_spacing_m=options.min_spacing_m,
        excluded=_with_taken_positions(setting.zones, taken, setting.metric_crs),
        operator=operator,
        method=options.method,
        time_limit_s=options.time_limit_s,
        **options.plan_options,
    )
    op = plan.summary["operator"]
    if before.params.operators and op not in before.params.operators:
        raise ConfigError(
            f"operator: the new sites belong to {op}, but the audit keeps only "
            f"{', '.join(before.params.operators)}; plan for one of those operators."
        )
    return with_required(plan, forced)  # issue #15: sites for target places first


def _history_entry(rnd: int, current: AuditResult, plan: PlanResult) -> dict[str, Any]:
    """One round in ``summary["history"]`` (the audited figure is filled in after the re-audit)."""
    return {
        "round": rnd,
        "n_new_sites": int(plan.summary["n_sites"]),
        "n_target_sites": int(plan.summary.get("n_target_sites", 0)),  # issue #15
        "population_coverage_pct_start": float(current.summary["population_coverage_pct"]),
        "estimated_population_coverage_pct_after": float(plan.summary["coverage_after_pct"]),
        "population_coverage_pct_after": None,
        "greedy_gap": plan.summary.get("greedy_gap"),
        "method_used": plan.summary.get("method_used"),
    }


def _re_audit(
    before: AuditResult, rounds: _Rounds, setting: _Setting, progress: ProgressFn
) -> AuditResult:
    """Audit the existing plus every proposed site (same model and parameters).

    Without any new site the re-audit is the first audit; a round that added
    none leaves the last re-audit standing.
    """
    combined, plan = rounds.combined, rounds.plans[-1]
    if combined is None or combined.summary["n_sites"] == 0:
        return before  # nothing added: the re-audit is the audit
    if plan.summary["n_sites"] == 0 and rounds.after is not None:
        return rounds.after  # nothing added this round: the last re-audit stands
    return _audit_with(before, combined.sites, setting, progress)


def _audit_with(
    before: AuditResult, cells: gpd.GeoDataFrame, setting: _Setting, progress: ProgressFn
) -> AuditResult:
    """Audit the existing plus the proposed ``cells`` (same model and parameters)."""
    from phusong.planning.propose import existing_plus

    frame = pd.DataFrame(existing_plus(before.sites, cells))
    after = run_audit(frame, before.ward_table, progress=progress, **setting.audit_kwargs_after)
    after.summary["synthetic"] = bool(before.summary["synthetic"]) or bool(
        after.summary["synthetic"]
    )
    after.summary["inputs"] = {
        **before.summary["inputs"],
        "proposed_sites": {"name": "<proposed sites>", "cells": len(cells)},
    }
    return after


def _plan_summary(
    before: AuditResult, rounds: _Rounds, options: _Options, setting: _Setting
) -> dict[str, Any]:
    """Build the JSON-able summary of a planning job (see :func:`run_plan`, Returns)."""
    plan = rounds.plan
    after = rounds.after.summary if rounds.after is not None else None
    target = setting.target
    meets_after = None if after is None else bool(after["population_coverage_pct"] >= target - 1e-9)
    b = before.summary
    return jsonable(
        {
            "tool": "phusong",
            "version": __version__,
            "synthetic": bool(b["synthetic"]),
            "mode": options.mode,
            "target_pct": target,
            "budget": options.budget,
            "goal": b["goal"],
            "weighting": dict(COVERAGE_WEIGHTING),
            **_coverage_figures(b, after, plan.summary, target, meets_after, options.verify),
            **_plan_figures(before, plan, rounds, options, setting),
            "model": b["model"],
            "model_label": b["model_label"],
            "population_source": b["population_source"],
            "approximation": rounds.plans[0].summary["approximation"],
            "inputs": b["inputs"],
            "parameters": b["parameters"],
            "note": _summary_note(plan, after, rounds, options, target, meets_after),
        }
    )


def _targets_figures(before: AuditResult, rounds: _Rounds, options: _Options) -> dict[str, Any]:
    """Issue #15: the summary's figures on target places (:func:`~phusong.planning.required.targets_summary`)."""
    from phusong.planning.required import COVERAGE_REASON, targets_summary

    one = rounds.plan.sites.drop_duplicates("site_id")
    forced = one["reason"].astype(str) != COVERAGE_REASON if "reason" in one else []
    ids = one.loc[forced, "site_id"].astype(str).tolist() if len(one) else []
    return targets_summary(before, rounds.after, rounds.ledger, mode=options.mode, site_ids=ids)


#: Issue #15: why a target place is left uncovered, in the summary's plain-words note.
UNCOVERED_WORDS = {
    "excluded": "no allowed position: it lies in excluded zones",
    "not_served": "the site placed for it did not cover it under the model",
    "no_gain": "its served share stopped growing",
    "rounds": "the rounds ran out",
    "budget": "a budget plan has one round",
    "not_asked": "covering target places was not asked for",
}


def _targets_note(s: dict[str, Any]) -> str:
    """Issue #15: plain words on the target places (empty without ``cover_targets``)."""
    if not s.get("cover_targets") or s.get("targets_covered_after") is None:
        return ""
    left = s["targets_uncovered_after"]
    text = (
        f"Target places covered: {s['targets_covered_before']} of {s['n_target_places']} "
        f"before, {s['targets_covered_after']} after; {s['n_target_sites']} new sites were "
        "placed for them."
    )
    if left:
        text += (
            " Not covered: "
            + "; ".join(
                f"{u['place_id']} {u['name']} ({UNCOVERED_WORDS[u['reason']]})" for u in left
            )
            + "."
        )
    return text


def _coverage_figures(
    b: dict[str, Any],
    a: dict[str, Any] | None,
    ps: dict[str, Any],
    target: float,
    meets_after: bool | None,
    verify: bool,
) -> dict[str, Any]:
    """Summary: coverage before and after (audited), the planner's estimate, the target met."""
    return {
        "population": b["population"],
        "area_km2": b["area_km2"],
        "population_coverage_pct_before": b["population_coverage_pct"],
        "area_coverage_pct_before": b["area_coverage_pct"],
        "covered_population_before": b["covered_population"],
        "population_coverage_pct_after": a["population_coverage_pct"] if a else None,
        "area_coverage_pct_after": a["area_coverage_pct"] if a else None,
        "covered_population_after": a["covered_population"] if a else None,
        "estimated_population_coverage_pct_after": ps["coverage_after_pct"],
        "meets_target_before": bool(b["population_coverage_pct"] >= target - 1e-9),
        "meets_target_after": meets_after,
        "verified": bool(verify),
    }


def _plan_figures(
    before: AuditResult, plan: PlanResult, rounds: _Rounds, options: _Options, setting: _Setting
) -> dict[str, Any]:
    """Summary: the new sites, the solver (first round), the rounds and the candidates."""
    ps, first = plan.summary, rounds.plans[0].summary
    return {
        "n_new_sites": int(ps["n_sites"]),
        "n_new_cells": len(plan.sites),
        "operator": ps["operator"],
        "coverage_counted_for": ps["coverage_counted_for"],
        "new_site": _new_site_figures(before, plan),
        "radius_m": ps["radius_m"],
        "method": ps["method"],
        "method_used": first["method_used"],
        "greedy_gap": first.get("greedy_gap"),
        "greedy_bound": first.get("greedy_bound"),
        "milp_status": first.get("milp_status"),
        "milp_gap": first.get("milp_gap"),
        "rounds": len(rounds.plans),
        "max_rounds": options.max_rounds,
        "history": rounds.history,
        "min_spacing_m": float(options.min_spacing_m),
        "candidates": "given" if setting.candidates is not None else "grid",
        "n_candidates": first["n_candidates"],
        "demand_cell_m": first["demand_cell_m"],
    }


def _new_site_figures(before: AuditResult, plan: PlanResult) -> dict[str, Any]:
    """Return the new site's configuration as the sites were written.

    Under the disc and sector models k wedges of 360°/k tile the planned
    disc, so the beamwidth is the sites', not the configuration's.
    """
    new_site = dict(plan.summary["new_site"])
    if len(plan.sites) and before.params.model in VECTOR_MODELS:
        new_site["beamwidth_deg"] = float(plan.sites["beamwidth_deg"].iloc[0])
    return new_site


def _summary_note(
    plan: PlanResult,
    a: dict[str, Any] | None,
    rounds: _Rounds,
    options: _Options,
    target: float,
    meets_after: bool | None,
) -> str:
    """Plain-words outcome: not re-audited, target met, or short of it and why."""
    what = f"{target:g}% of the population"
    if a is None:
        return (
            f"Not re-audited: the coverage after ({plan.summary['coverage_after_pct']:.2f}%) is "
            "the planner's estimate on its demand grid."
        )
    if meets_after:
        return (
            f"The re-audit with the {int(plan.summary['n_sites'])} proposed sites meets the "
            f"target of {what} ({a['population_coverage_pct']:.4f}%)."
        )
    if options.mode == "budget":
        return (
            f"With a budget of {options.budget} sites the re-audit reaches "
            f"{a['population_coverage_pct']:.4f}%, short of the target of {what}."
        )
    why = (
        "the last round found no candidate adding coverage"
        if rounds.history and rounds.history[-1]["n_new_sites"] == 0
        else f"after {len(rounds.plans)} of at most {options.max_rounds} rounds"
    )
    return (
        f"Target not met: the re-audit reaches {a['population_coverage_pct']:.4f}%, "
        f"short of {what} ({why}). Try more rounds, more candidates, a smaller "
        "spacing or fewer exclusions."
    )


__all__ = [
    "COVERAGE_WEIGHTING",
    "PlanRun",
    "load_candidates",
    "run_plan",
]
