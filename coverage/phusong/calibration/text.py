"""What the calibration says to users, in English and Vietnamese.

User-visible text of :mod:`phusong.calibration` lives in the one dict
:data:`STRINGS` (``{lang: {key: template}}``), until it moves into the
project catalogue :mod:`phusong.i18n`; numbers are formatted by
:mod:`phusong.i18n` (``12,3 dB`` in Vietnamese, ``12.3 dB`` in English).
"""

from __future__ import annotations

import math
from typing import Any

from phusong.i18n import fmt_int, fmt_unit

#: Calibration messages by language and key (``str.format`` templates).
STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "sentence": (
            "Path loss calibrated against {points} measurements in {n_groups} group(s) "
            "({groups}); held-out RMSE {rmse_before} before, {rmse_after} after calibration"
        ),
        "sentence_file": " (file {file})",
        "sentence_none": "No group had enough measurements: the calibration changes nothing",
        "synthetic": "SYNTHETIC measurements: the calibration only demonstrates the method",
        "few_points": "only {n} measurements (fewer than {few}): the fit is uncertain",
        "one_operator": (
            "measurements of one operator only ({operator}): the other operators' cells "
            "are not calibrated"
        ),
        "one_area": (
            "measured in a small area ({wards} ward(s), about {area} across): the fit may "
            "not hold elsewhere in the city"
        ),
        "mostly_best_server": (
            "{share} of the measurements named no usable serving cell and were matched to "
            "the model's best server"
        ),
        "slope_clipped": (
            "the fitted slope {slope} was limited to {limit}: the calibrated path loss must "
            "keep growing with distance"
        ),
        "too_few": "too few measurements ({n} < {min})",
        "no_cell": "no cell of its operator and band in the site table",
        "cell_not_found": "its serving cell id is not in the site table",
        "too_far": "more than {km} km from the cell matched to it",
        "not_fitted": "its group was not fitted",
        "assoc_cell_id": "serving cell from the file's cell id",
        "assoc_best_server": "model's best server (no usable cell id)",
        # plots
        "plot_distance_title": "Measured − predicted SS-RSRP against distance",
        "plot_distance_x": "distance to the serving cell [m]",
        "plot_error_y": "measured − predicted [dB]",
        "plot_before": "before calibration",
        "plot_after": "after calibration (held out)",
        "plot_bin_mean": "{what}: mean per distance bin",
        "plot_map_title": "Error after calibration (held out), per measurement",
        "plot_map_colorbar": "measured − predicted [dB]",
        "plot_credit": "Ward boundaries © OpenStreetMap contributors",
        "plot_synthetic": "SYNTHETIC DATA",
        # report
        "report_title": "Calibration of the {model} model",
        "report_what": (
            "The model's SS-RSRP was compared with measured signal at {points} points. For "
            "each operator × band × scenario with at least {min} usable points, a path-loss "
            "offset{slope} was fitted by a robust (Huber) least-squares fit and checked by "
            '{folds}-fold cross-validation: every error below "after" is measured on points '
            "the fit did not see{blocked}."
        ),
        "report_slope": " and a distance slope",
        "report_blocked": " (folds drawn by 1 km blocks, so that neighbouring points of one drive stay together)",
        "report_caveats": "What limits this calibration",
        "report_groups": "Fitted groups",
        "report_skipped": "Groups not fitted",
        "report_points": "Measurements",
        "report_figures": "Errors before and after",
        "report_apply": "Apply it",
        "report_apply_text": (
            "Give the file calibration.json to an audit or a plan of the same model: "
        ),
        "report_method": "How it was computed",
        "report_method_text": (
            "Prediction: the outdoor median of the model (no indoor loss, 50 % reliability), "
            "with the same cells, antenna pattern and link budget as the coverage grid. Error = "
            "measured − predicted. The fit adds offset + slope · log10(d3D / 1 km) to the path "
            "loss of every cell of the group. Each measurement is matched with its serving cell "
            "by its cell id when the file has one, else with the model's strongest cell of its "
            "operator and band."
        ),
        "report_inputs": "Inputs",
        "col_group": "group",
        "col_points": "points",
        "col_offset": "offset [dB]",
        "col_slope": "slope [dB/decade]",
        "col_sigma": "σ after [dB]",
        "col_mean_before": "mean error before [dB]",
        "col_mean_after": "mean error after [dB]",
        "col_rmse_before": "RMSE before [dB]",
        "col_rmse_after": "RMSE after [dB]",
        "col_reason": "reason",
        "col_what": "what",
        "col_count": "count",
        "col_cells": "cells",
        "col_input": "input",
        "col_file": "file",
        "row_read": "rows read",
        "row_accepted": "rows accepted",
        "row_rejected": "rows rejected (see measurement_validation.csv)",
        "row_filtered": "rows of other network modes",
        "row_used": "points used in a fit",
        "row_assoc_cell_id": "matched by cell id",
        "row_assoc_best_server": "matched to the model's best server",
        "row_all": "all groups",
        "audit_section": "Calibration",
        "audit_text": (
            "The path loss was calibrated against measurements before computing coverage: "
        ),
        "audit_cells": "{calibrated} of {cells} cells adjusted; the other cells keep the model as it is.",
    },
    "vi": {
        "sentence": (
            "Suy hao đường truyền đã được hiệu chỉnh theo {points} điểm đo trong {n_groups} "
            "nhóm ({groups}); RMSE trên dữ liệu kiểm tra là {rmse_before} trước và "
            "{rmse_after} sau hiệu chỉnh"
        ),
        "sentence_file": " (tệp {file})",
        "sentence_none": "Không nhóm nào đủ điểm đo: hiệu chỉnh không thay đổi gì",
        "synthetic": "Điểm đo GIẢ LẬP (SYNTHETIC): hiệu chỉnh chỉ để minh hoạ phương pháp",
        "few_points": "chỉ có {n} điểm đo (ít hơn {few}): kết quả khớp chưa chắc chắn",
        "one_operator": (
            "chỉ có điểm đo của một nhà mạng ({operator}): các cell của nhà mạng khác "
            "không được hiệu chỉnh"
        ),
        "one_area": (
            "đo trong một khu vực nhỏ ({wards} phường/xã, rộng khoảng {area}): kết quả có thể "
            "không đúng ở nơi khác trong thành phố"
        ),
        "mostly_best_server": (
            "{share} điểm đo không có cell phục vụ dùng được và được gán cho cell mạnh nhất "
            "theo mô hình"
        ),
        "slope_clipped": (
            "độ dốc khớp được {slope} đã bị giới hạn ở {limit}: suy hao sau hiệu chỉnh phải "
            "tăng theo khoảng cách"
        ),
        "too_few": "quá ít điểm đo ({n} < {min})",
        "no_cell": "không có cell nào của nhà mạng và băng tần đó trong danh sách trạm",
        "cell_not_found": "mã cell phục vụ không có trong danh sách trạm",
        "too_far": "cách cell được gán hơn {km} km",
        "not_fitted": "nhóm của điểm đo không được hiệu chỉnh",
        "assoc_cell_id": "cell phục vụ theo mã cell trong tệp",
        "assoc_best_server": "cell mạnh nhất theo mô hình (không có mã cell dùng được)",
        # plots
        "plot_distance_title": "SS-RSRP đo được − dự báo theo khoảng cách",
        "plot_distance_x": "khoảng cách tới cell phục vụ [m]",
        "plot_error_y": "đo được − dự báo [dB]",
        "plot_before": "trước hiệu chỉnh",
        "plot_after": "sau hiệu chỉnh (dữ liệu kiểm tra)",
        "plot_bin_mean": "{what}: trung bình theo khoảng cách",
        "plot_map_title": "Sai số sau hiệu chỉnh (dữ liệu kiểm tra) tại từng điểm đo",
        "plot_map_colorbar": "đo được − dự báo [dB]",
        "plot_credit": "Ranh giới phường/xã © OpenStreetMap contributors",
        "plot_synthetic": "DỮ LIỆU GIẢ LẬP (SYNTHETIC)",
        # report
        "report_title": "Hiệu chỉnh mô hình {model}",
        "report_what": (
            "SS-RSRP theo mô hình được so với tín hiệu đo tại {points} điểm. Với mỗi nhóm nhà "
            "mạng × băng tần × kịch bản có ít nhất {min} điểm dùng được, một độ lệch suy hao"
            "{slope} được khớp bằng bình phương tối thiểu bền vững (Huber) và kiểm tra chéo "
            '{folds} phần: mọi sai số "sau" đều đo trên các điểm mà phép khớp không dùng'
            "{blocked}."
        ),
        "report_slope": " và một độ dốc theo khoảng cách",
        "report_blocked": " (chia phần theo ô 1 km, để các điểm liền nhau của một lần đo ở cùng một phần)",
        "report_caveats": "Giới hạn của lần hiệu chỉnh này",
        "report_groups": "Các nhóm đã hiệu chỉnh",
        "report_skipped": "Các nhóm không hiệu chỉnh",
        "report_points": "Điểm đo",
        "report_figures": "Sai số trước và sau",
        "report_apply": "Áp dụng",
        "report_apply_text": "Dùng tệp calibration.json cho một lần đánh giá hoặc lập kế hoạch cùng mô hình: ",
        "report_method": "Cách tính",
        "report_method_text": (
            "Dự báo: giá trị trung vị ngoài trời của mô hình (không suy hao trong nhà, độ tin "
            "cậy 50 %), với cùng các cell, giản đồ anten và quỹ đường truyền như lưới vùng phủ. "
            "Sai số = đo được − dự báo. Phép khớp cộng độ lệch + độ dốc · log10(d3D / 1 km) vào "
            "suy hao của mọi cell trong nhóm. Mỗi điểm đo được gán với cell phục vụ theo mã cell "
            "nếu tệp có, nếu không thì với cell mạnh nhất theo mô hình của nhà mạng và băng tần đó."
        ),
        "report_inputs": "Dữ liệu đầu vào",
        "col_group": "nhóm",
        "col_points": "số điểm",
        "col_offset": "độ lệch [dB]",
        "col_slope": "độ dốc [dB/decade]",
        "col_sigma": "σ sau [dB]",
        "col_mean_before": "sai số trung bình trước [dB]",
        "col_mean_after": "sai số trung bình sau [dB]",
        "col_rmse_before": "RMSE trước [dB]",
        "col_rmse_after": "RMSE sau [dB]",
        "col_reason": "lý do",
        "col_what": "nội dung",
        "col_count": "số lượng",
        "col_cells": "số cell",
        "col_input": "đầu vào",
        "col_file": "tệp",
        "row_read": "số dòng đã đọc",
        "row_accepted": "số dòng được nhận",
        "row_rejected": "số dòng bị loại (xem measurement_validation.csv)",
        "row_filtered": "số dòng của chế độ mạng khác",
        "row_used": "số điểm dùng để khớp",
        "row_assoc_cell_id": "gán theo mã cell",
        "row_assoc_best_server": "gán cho cell mạnh nhất theo mô hình",
        "row_all": "tất cả các nhóm",
        "audit_section": "Hiệu chỉnh",
        "audit_text": "Suy hao đường truyền đã được hiệu chỉnh theo số liệu đo trước khi tính vùng phủ: ",
        "audit_cells": "{calibrated} trên {cells} cell được điều chỉnh; các cell khác giữ nguyên mô hình.",
    },
}


def text(key: str, lang: str = "en", **values: Any) -> str:
    """Message ``key`` of :data:`STRINGS` in ``lang`` (English if unknown), filled in."""
    table = STRINGS.get(lang, STRINGS["en"])
    return table.get(key, STRINGS["en"][key]).format(**values)


def db(value: Any, lang: str = "en") -> str:
    """Format a value in dB with one decimal for ``lang`` (``7,1 dB``)."""
    return fmt_unit(value, "dB", lang, 1)


def calibration_sentence(calibration: Any, lang: str = "en") -> str:
    """One sentence on a :class:`~phusong.calibration.model.Calibration` and its caveats."""
    groups = calibration.groups
    if not groups:
        out = text("sentence_none", lang)
    else:
        quality = calibration.quality or {}
        before = (quality.get("before") or {}).get("rmse_db", math.nan)
        after = (quality.get("after") or {}).get("rmse_db", math.nan)
        out = text(
            "sentence",
            lang,
            points=fmt_int(calibration.n_points, lang),
            n_groups=len(groups),
            groups=", ".join(f"{g.operator} {g.band}" for g in groups),
            rmse_before=db(before, lang),
            rmse_after=db(after, lang),
        )
    if calibration.file:
        out += text("sentence_file", lang, file=calibration.file.get("name", ""))
    return out + "."


def caveat(key: str, **values: Any) -> dict[str, str]:
    """Write a caveat in both languages: ``{"key": key, "en": …, "vi": …}``.

    Numbers in ``values`` are formatted per language: ints with grouped
    thousands, floats as dB with one decimal; text is used as given.
    """

    def shown(v: Any, lang: str) -> Any:
        if isinstance(v, bool) or isinstance(v, str):
            return v
        if isinstance(v, int):
            return fmt_int(v, lang)
        if isinstance(v, float):
            return db(v, lang)
        return v

    return {
        "key": key,
        **{lang: text(key, lang, **{k: shown(v, lang) for k, v in values.items()})
           for lang in ("en", "vi")},
    }  # fmt: skip


def caveat_text(item: Any, lang: str = "en") -> str:
    """Return the text of a caveat (:func:`caveat`) in ``lang``; plain strings as they are."""
    if isinstance(item, dict):
        return str(item.get(lang) or item.get("en") or "")
    return str(item)


__all__ = ["STRINGS", "calibration_sentence", "caveat", "caveat_text", "db", "text"]
