"""Thông điệp tiếng Việt của phusong (Vietnamese messages), by the module that shows them.

Same keys and placeholders as :mod:`phusong.i18n.catalog.en` (checked by
``tests/test_i18n.py``). Written for city officials and planners: plain words
("tỷ lệ dân số được phủ sóng 5G", "phường/xã", "trạm phát sóng", "vùng lõm
sóng"), technical terms (SS-RSRP, SINR) only in brackets or tooltips.
Numbers arrive already formatted (85,1 %; 1.315.542 người).
"""

from __future__ import annotations

MESSAGES: dict[str, str | dict[str, str]] = {
    # ------------------------------------------------------------------
    # common words and units (phusong.i18n.formats)
    # ------------------------------------------------------------------
    "common.unknown": "không rõ",
    "common.yes": "có",
    "common.no": "không",
    "unit.points": "{value} điểm phần trăm",
    "unit.people": {"other": "{value} người"},
    "language.name": "Tiếng Việt",
    # ------------------------------------------------------------------
    # the goal, the place, the weighting (phusong.output.text)
    # ------------------------------------------------------------------
    "place.study_area": "khu vực khảo sát",
    "what.population": "dân số",
    "what.area": "diện tích",
    "weighting.population": "tính theo dân số",
    "weighting.area": "tính theo diện tích",
    "goal.description": "phủ sóng 5G tới {target} {what} vào năm {year} ({source})",
    "goal.source.hanoi_58": "Kế hoạch 58/KH-UBND năm 2025 của UBND TP Hà Nội",
    "goal.source.custom": "mục tiêu tự đặt",
    "goal.source.custom_58": "mục tiêu tự đặt; Kế hoạch 58/KH-UBND của Hà Nội đặt mức 99 % dân số",
    "goal.source.plan_58": "Kế hoạch 58/KH-UBND",
    "goal.source.plan_310": "Kế hoạch 310/KH-UBND",
    "goal.source.plans_58_310": "Kế hoạch 58/KH-UBND và 310/KH-UBND",
    "population.uniform": "dân số chính thức của từng phường/xã, coi như phân bố đều "
    "trên toàn bộ diện tích phường/xã (không có bản đồ mật độ dân số)",
    "population.raster": "bản đồ mật độ dân số {file} (số người trong mỗi ô lưới)",
    "model.name.disc": "vùng phủ hình tròn quanh mỗi cell",
    "model.name.sector": "vùng phủ hình quạt theo hướng ăng-ten của mỗi cell",
    "model.name.uma_nlos": "mô hình suy hao truyền sóng 3GPP cho đô thị, trạm macro, "
    "không nhìn thẳng (UMa NLOS)",
    "model.name.umi_nlos": "mô hình suy hao truyền sóng 3GPP cho phố hẹp đô thị, trạm nhỏ, "
    "không nhìn thẳng (UMi NLOS)",
    "model.name.rma_nlos": "mô hình suy hao truyền sóng 3GPP cho nông thôn, trạm macro, "
    "không nhìn thẳng (RMa NLOS)",
    "model.name.cost231_hata": "mô hình suy hao truyền sóng COST-231 Hata (ngoại suy cho tần "
    "số trên 2 GHz)",
    "model.name.fspl": "mô hình truyền sóng trong không gian tự do (ước tính lạc quan nhất)",
    "model.name.other": "mô hình suy hao truyền sóng {code}",
    "model.footprint": "mô hình {model}, {radius}",
    "model.radius_fixed": "bán kính {radius}",
    "model.radius_range": "bán kính theo tầm phủ ghi cho từng cell",
    "model.path_loss": "{model}; coi là có sóng khi cường độ "
    "tín hiệu (SS-RSRP) ≥ {threshold}, tính trên lưới ô {resolution}",
    # ------------------------------------------------------------------
    # physics (issue #12): vùng phủ ngoài trời và trong nhà, mô hình quy
    # hoạch, dân cư theo WorldPop (phusong.output.text)
    # ------------------------------------------------------------------
    "model.name.planning": "mô hình quy hoạch 3GPP TR 38.901 (đô thị UMa, trạm nhỏ UMi, "
    "nông thôn RMa, chọn theo từng phường/xã)",
    "population.dasymetric": "trọng số dân cư {file} (người dân sống ở đâu trong phường/xã), "
    "quy đổi để tổng mỗi phường/xã bằng dân số chính thức",
    "population.worldpop": "trọng số dân cư WorldPop 2020 (ô 1 km: người dân sống ở đâu trong "
    "phường/xã), quy đổi để tổng mỗi phường/xã bằng dân số chính thức; {credit}",
    "summary.layer_outdoor": "  Dân số có sóng ngoài trời: {pct}{judged}",
    "summary.layer_indoor": "  Dân số có sóng trong nhà:  {pct} (suy hao xuyên tường theo "
    "3GPP TR 38.901, {o2i}){judged}",
    "summary.layer_judged": " (mục tiêu được đánh giá theo số liệu này)",
    "summary.layer_indoor_missing": "  Dân số có sóng trong nhà:  chưa tính ({why})",
    "summary.footprint_estimate": "  Ước tính nhanh theo vùng phủ hình học: không tính truyền "
    "sóng, chỉ ngoài trời, giá trị trung vị (mức trần của vùng phủ)",
    "layers.o2i.low-loss": "nhà tổn hao thấp: kính thường và bê tông",
    "layers.o2i.high-loss": "nhà tổn hao cao: kính phản xạ nhiệt và bê tông",
    "layers.why_footprint": "mô hình vùng phủ hình học không có lớp trong nhà",
    "layers.why_tiled": "cách tính theo từng mảnh lưới không cộng lớp trong nhà",
    "layers.why_other": "không có cho lần tính này",
    # ------------------------------------------------------------------
    # the verdict (phusong.output.text.verdict)
    # ------------------------------------------------------------------
    "verdict.label.yes": "ĐÃ ĐẠT",
    "verdict.label.no": "CHƯA ĐẠT",
    "verdict.yes": "ĐÃ ĐẠT: {place} đã đạt mục tiêu phủ sóng 5G tới {target} {what} "
    "vào năm {year}: 5G hiện phủ {value} {what} ({weighting}).",
    "verdict.no": "CHƯA ĐẠT: 5G mới phủ {value} {what} của {place} ({weighting}); "
    "mục tiêu là {target} vào năm {year}, còn thiếu {gap}{need}.",
    "verdict.no_gap_unknown": "CHƯA ĐẠT: 5G mới phủ {value} {what} của {place} "
    "({weighting}); mục tiêu là {target} vào năm {year}.",
    "verdict.need_people": "; cần phủ sóng thêm cho khoảng {n} người",
    "verdict.need_area": "; cần phủ sóng thêm khoảng {area}",
    "synthetic.warning": "DỮ LIỆU MẪU GIẢ LẬP (SYNTHETIC): các số liệu này được tính trên "
    "một mạng lưới tự tạo để minh họa, không phải trạm phát sóng thật của nhà mạng nào.",
    "synthetic.short": "Mạng lưới mẫu GIẢ LẬP (SYNTHETIC) — không phải dữ liệu thật của nhà mạng",
    # ------------------------------------------------------------------
    # terminal summary of an audit (phusong.output.text.format_summary)
    # ------------------------------------------------------------------
    "summary.population": "  Dân số được phủ sóng: {pct} (tính theo dân số); "
    "còn {uncovered} trên {population} người chưa có sóng 5G",
    "summary.area": "  Diện tích được phủ sóng: {pct} (tính theo diện tích) trên tổng {area}",
    "summary.wards": "  Số phường/xã đạt mục tiêu: {n}/{total}",
    "summary.model": "  Mô hình tính toán: {model}",
    "summary.where_people_live": "  Phân bố dân cư: {source}",
    "summary.site_rows": "  Dữ liệu trạm: đọc {read} dòng, nhận {accepted}, loại {rejected}{see}",
    "summary.see_validation": " (xem validation.csv)",
    "summary.worst_heading": "Các phường/xã kéo tỷ lệ chung xuống nhiều nhất "
    "(phủ kín phường/xã đó thì tỷ lệ toàn thành phố tăng thêm bấy nhiêu):",
    "summary.worst_row": "phủ sóng {pct}, {uncovered} người chưa có sóng, {gain}",
    "summary.files": "Các tệp trong {folder}: {names}",
    "summary.open_report": "Mở {path} để xem báo cáo đầy đủ.",
    # ------------------------------------------------------------------
    # progress steps of run_audit / run_plan (phusong.output.text.progress_words)
    # ------------------------------------------------------------------
    "progress.round": "vòng {n}",
    "progress.reading wards": "đọc ranh giới phường/xã",
    "progress.reading sites": "đọc danh sách trạm",
    "progress.computing coverage": "tính vùng phủ sóng",
    "progress.aggregating per ward": "tổng hợp theo phường/xã",
    "progress.auditing the existing network": "đánh giá mạng lưới hiện có",
    "progress.proposing new sites": "đề xuất trạm mới",
    "progress.re-auditing": "tính lại vùng phủ",
    "progress.done": "xong",
    # ------------------------------------------------------------------
    # reading a site file (phusong.output.text.format_validation)
    # ------------------------------------------------------------------
    "validation.counts": "{file}: đọc {read} dòng, nhận {accepted}, loại {rejected}{filtered}.",
    "validation.filtered": ", bỏ qua {n} dòng thuộc công nghệ vô tuyến khác (bộ lọc --radio)",
    "validation.rejected_heading": "Các dòng bị loại ({n} lỗi):",
    "validation.notes_heading": "{n} ghi chú (đã tự sửa, vẫn giữ dòng):",
    "validation.whole_file": "cả tệp",
    "validation.row": "dòng {row}",
    "validation.column": ", cột '{column}'",
    "validation.more_notes": "  … và {n} ghi chú khác (xem báo cáo CSV, --out).",
    # ------------------------------------------------------------------
    # terminal summary of a plan (phusong.output.text.format_plan_summary)
    # ------------------------------------------------------------------
    "plan.heading": "Phương án lắp thêm trạm cho {place}: {aim}.",
    "plan.aim_budget": "phủ sóng rộng nhất với tối đa {budget} trạm mới",
    "plan.aim_target": "phủ sóng {target} dân số{by_year}",
    "plan.aim_by_year": " vào năm {year}",
    "plan.population_estimate": "  Dân số được phủ sóng: {before} → ≈ {after} "
    "(tính theo dân số; ước tính của thuật toán, chưa tính lại)",
    "plan.population_audited": "  Dân số được phủ sóng: {before} → {after} "
    "(tính theo dân số; đã tính lại với các trạm mới)",
    "plan.area_audited": "  Diện tích được phủ sóng: {before} → {after} (tính theo diện tích)",
    "plan.new_sites": "  Trạm mới: {sites} ({cells} cell), nhà mạng {operator}; "
    "thuật toán {solver}, {rounds}",
    "plan.rounds": {"other": "{n} vòng"},
    "plan.round_step": "vòng {round}: +{sites} trạm → {pct}",
    "plan.rounds_detail": "    ({steps}; đã tính lại)",
    "plan.target_unchecked": "  Mục tiêu {target}: chưa kiểm tra (không tính lại).",
    "plan.target_met": "  Mục tiêu {target} sau khi tính lại: ĐẠT.",
    "plan.target_not_met": "  Mục tiêu {target} sau khi tính lại: CHƯA ĐẠT.",
    "plan.first_sites": "{n} trạm mới đầu tiên, theo thứ tự đề xuất "
    "(số người được phủ thêm là ước tính của thuật toán):",
    "plan.site_gain": "+{people}",
    "plan.check_sheet": "proposed_sites.csv là danh sách trạm: kiểm tra bằng lệnh "
    "'phusong audit --sites' cùng với các trạm hiện có.",
    # --- issue #15: địa điểm mục tiêu kế hoạch phải phủ sóng (--targets, --cover-targets) ---
    "plan.targets": "  Địa điểm mục tiêu có 5G: {before}/{n} trước → {after} sau "
    "(theo tiêu chí riêng của từng địa điểm, đã tính lại).",
    "plan.targets_unchecked": "  Địa điểm mục tiêu có 5G: {before}/{n} trước (chưa tính lại).",
    "plan.targets_sites": {
        "other": "    Đặt {n} trạm mới cho các địa điểm mục tiêu chưa có 5G ({places}).",
    },
    "plan.targets_not_asked": "    Kế hoạch không bắt buộc phủ sóng các địa điểm này "
    "(thêm --cover-targets).",
    "plan.targets_spacing": "    Khoảng cách tối thiểu được nới cho {n} trạm trong số đó "
    "(địa điểm không đủ chỗ).",
    "plan.targets_uncovered": "    Vẫn chưa có 5G: {place} (phủ {share}) — {why}",
    "plan.targets_reason.excluded": "không có vị trí được phép: địa điểm nằm trong vùng cấm "
    "đặt trạm",
    "plan.targets_reason.not_served": "trạm đặt cho địa điểm vẫn chưa phủ được theo mô hình",
    "plan.targets_reason.no_gain": "tỷ lệ diện tích được phủ không tăng thêm",
    "plan.targets_reason.rounds": "đã hết số vòng lặp; hãy cho phép thêm vòng",
    "plan.targets_reason.budget": "kế hoạch theo ngân sách chỉ chạy một vòng; hãy tăng ngân sách",
    "plan.targets_reason.not_asked": "không yêu cầu phủ sóng các địa điểm mục tiêu",
    "plan.site_for_place": "cho địa điểm mục tiêu {place}",
    # ------------------------------------------------------------------
    # report.html (phusong.output.report, templates/report.html.j2)
    # ------------------------------------------------------------------
    "report.title": "Đánh giá phủ sóng 5G: {place}",
    "report.goal_question": "Mục tiêu: {goal}. {place} đang ở đâu so với mục tiêu này?",
    "report.fig.population": "Dân số được phủ sóng",
    "report.fig.population_note_goal": "tính theo dân số; mục tiêu {target}",
    "report.fig.population_note": "tính theo dân số",
    "report.fig.area": "Diện tích được phủ sóng",
    "report.fig.area_note": "tính theo diện tích, trên tổng {area}",
    "report.fig.wards": "Phường/xã đạt mục tiêu",
    "report.fig.wards_value": "{n}/{total}",
    "report.fig.wards_note": "trên tổng số phường, xã",
    "report.fig.uncovered": "Số người chưa có sóng 5G",
    "report.fig.uncovered_note": "trên tổng số {population} người dân",
    "report.two_ways.heading": "Hai cách tính tỷ lệ phủ sóng",
    "report.two_ways_html": "Tỷ lệ <b>tính theo diện tích</b> là phần <i>đất đai</i> có sóng "
    "5G. Tỷ lệ <b>tính theo dân số</b> là phần <i>người dân</i> sống ở nơi có sóng. Khi mật độ "
    "dân cư giữa các phường/xã chênh nhau, hai con số này có thể khác xa nhau: trong lần đánh "
    "giá này, 5G phủ {area_pct} diện tích và {population_pct} dân số. Mục tiêu được tính theo "
    "<b>{what}</b>, nên con số {weighting} mới là con số quyết định đạt hay chưa.",
    "report.method.heading": "Cách tính",
    "report.method.model": "Mô hình vùng phủ: {model}",
    "report.method.threshold": " (một nơi được coi là có sóng khi tín hiệu mạnh nhất "
    "đạt ít nhất {threshold})",
    "report.method.population": "Phân bố dân cư: {source}",
    "report.method.tool_html": "Công cụ: phusong {version}; toàn bộ tham số được ghi trong "
    "<code>summary.json</code>.",
    "report.method.goal_source_html": "Mục tiêu phủ sóng 5G cho 99&nbsp;% dân số vào năm 2030 "
    "do Kế hoạch 58/KH-UBND ngày 26/02/2025 của UBND TP Hà Nội đặt ra (cấp quốc gia: Quyết định "
    "1132/QĐ-TTg ngày 09/10/2024); nguồn được liệt kê trong <code>docs/sources.md</code> "
    "của Phủ Sóng.",
    "report.inputs.input": "dữ liệu đầu vào",
    "report.inputs.file": "tệp",
    "report.inputs.wards": "ranh giới phường/xã",
    "report.inputs.sites": "danh sách trạm",
    "report.inputs.population": "dân số",
    "report.worst.heading": "{n} phường/xã kéo tỷ lệ chung xuống nhiều nhất",
    "report.worst.intro": "Xếp theo mức tỷ lệ {weighting} của cả thành phố sẽ tăng thêm "
    "(tính bằng điểm phần trăm) nếu phủ kín phường/xã đó. Các phường/xã rộng, đông dân mà "
    "phủ sóng còn thấp đứng đầu danh sách.",
    "report.worst.files_html": "Toàn bộ phường/xã: <code>wards.csv</code> (mở được bằng Excel); "
    "bản đồ: <code>map.html</code>; vùng lõm sóng: <code>gaps.geojson</code>.",
    "report.col.ward": "phường/xã",
    "report.col.population_covered": "dân số được phủ sóng",
    "report.col.area_covered": "diện tích được phủ sóng",
    "report.col.people_uncovered": "số người chưa có sóng",
    "report.col.city_gain": "tỷ lệ toàn thành phố tăng thêm (điểm %)",
    "report.col.meets_goal": "đạt mục tiêu",
    "report.col.operator": "nhà mạng",
    "report.col.cells": "số cell",
    "report.col.wards_meeting_goal": "số phường/xã đạt mục tiêu",
    "report.col.served_by": "số trạm phục vụ",
    "report.col.people": "số người",
    "report.col.population_share": "tỷ lệ dân số",
    "report.col.area": "diện tích",
    "report.col.column": "cột",
    "report.col.reason": "lý do",
    "report.col.rows": "số dòng",
    "report.meets.yes": "đạt",
    "report.meets.no": "chưa đạt",
    "report.any_operator": "Bất kỳ nhà mạng nào",
    "report.whole_row": "(cả dòng)",
    "report.operators.heading": "Theo từng nhà mạng",
    "report.operators.note_html": "“Bất kỳ nhà mạng nào”: một nơi được tính là có sóng khi có "
    "ít nhất một nhà mạng phủ tới. Chi tiết từng phường/xã: <code>by_operator.csv</code>.",
    "report.robust.heading": "Sóng có dự phòng không?",
    "report.redundancy.0": "không có trạm 5G",
    "report.redundancy.1": "đúng một trạm",
    "report.redundancy.2_4": "từ 2 đến 4 trạm",
    "report.redundancy.5plus": "từ 5 trạm trở lên",
    "report.robust.note_html": "Người dân chỉ được <b>một trạm duy nhất</b> phục vụ sẽ mất sóng "
    "ngay khi trạm đó gặp sự cố: mất điện, đứt cáp quang hay bảo trì đều khiến họ không còn 5G. "
    "Khi có từ hai trạm trở lên, trạm khác có thể gánh thay.",
    "report.input_check.heading": "Kiểm tra dữ liệu đầu vào",
    "report.input_check.counts_html": "Tệp danh sách trạm: đọc {read} dòng, nhận {accepted}, "
    "loại {rejected}; đã dùng {cells} cell trên {sites} trạm. Các dòng bị loại được liệt kê "
    "kèm lý do trong <code>validation.csv</code>.",
    "report.footer_html": "Các tệp CSV dùng mã UTF-8 có BOM để Excel hiển thị đúng tên tiếng "
    "Việt. Ranh giới phường/xã © "
    '<a href="https://www.openstreetmap.org/copyright">OpenStreetMap contributors</a> (ODbL).',
    # ------------------------------------------------------------------
    # maps (phusong.output.maps)
    # ------------------------------------------------------------------
    "map.title": "Phủ sóng 5G theo phường/xã ({weighting}): toàn thành phố {city}, "
    "mục tiêu {target}",
    "map.legend.title": "Tỷ lệ phủ sóng của phường/xã ({weighting})",
    "map.class.full": "100 % (thiếu không quá 0,05 điểm)",
    "map.class.meets": "đạt mục tiêu: ≥ {target} %",
    "map.goal_line": "mục tiêu {target} %",
    "map.class.below_50": "thấp hơn mục tiêu trên 50 điểm",
    "map.class.below_20": "thấp hơn 20–50 điểm",
    "map.class.below_10": "thấp hơn 10–20 điểm",
    "map.class.below_5": "thấp hơn 5–10 điểm",
    "map.class.below_0": "thấp hơn dưới 5 điểm",
    "map.class.unknown": "không rõ (thiếu số liệu dân số)",
    "map.legend.gaps": "viền nét đứt: vùng lõm sóng",
    "map.legend.sites": "chấm xám: một trạm phát sóng 5G",
    "map.legend.zoom": "Phóng to để xem tên phường/xã (từ mức {labels}) và hướng ăng-ten "
    "của từng cell (từ mức {wedges}). Bấm vào một phường/xã để đánh dấu.",
    "map.legend.zoom_labels": "Phóng to để xem tên phường/xã (từ mức {labels}). "
    "Bấm vào một phường/xã để đánh dấu.",
    "map.layer.background": "Nền OpenStreetMap",
    "map.layer.wards": "Tỷ lệ phủ sóng theo phường/xã",
    "map.layer.gaps": "Vùng lõm sóng",
    "map.layer.sites": "Trạm phát sóng ({n})",
    "map.layer.wedges": "Hướng ăng-ten (sector)",
    "map.layer.labels": "Tên phường/xã",
    "map.layer.change": "Thay đổi tỷ lệ phủ sóng",
    "map.tooltip.ward": "Phường/xã",
    "map.tooltip.population": "Tỷ lệ dân số được phủ sóng",
    "map.tooltip.area": "Tỷ lệ diện tích được phủ sóng",
    "map.tooltip.uncovered": "Số người chưa có sóng",
    "map.tooltip.goal": "Mục tiêu",
    "map.tooltip.before": "Hiện trạng",
    "map.tooltip.after": "Phương án",
    "map.tooltip.change": "Thay đổi",
    "map.goal.meets": "đã đạt",
    "map.goal.below": "chưa đạt",
    "map.search": "Tìm phường/xã…",
    "map.tiles_offline": "Không tải được bản đồ nền: đang hiển thị phường/xã trên nền trơn.",
    "map.compare.title": "Thay đổi tỷ lệ phủ sóng 5G theo phường/xã ({weighting})",
    "map.compare.legend": "Thay đổi, {weighting} (điểm phần trăm)",
    "map.change.down_5": "giảm hơn 5 điểm",
    "map.change.down_0": "giảm tới 5 điểm",
    "map.change.none": "không đổi (trong khoảng 0,05 điểm)",
    "map.change.up_0": "tăng tới 5 điểm",
    "map.change.up_5": "tăng hơn 5 điểm",
    # ------------------------------------------------------------------
    # plan map (phusong.output.plan)
    # ------------------------------------------------------------------
    "planmap.layer": "Trạm mới đề xuất ({n})",
    "planmap.layer_name": "Trạm mới đề xuất",
    "planmap.site": "{site} · thứ tự {order} (vòng {round}) · {ward} · phủ thêm ≈ {people} "
    "(ước tính)",
    "planmap.note_html": '<b style="color:{colour}">●</b> {n} trạm mới đề xuất '
    "({operator}). Dân số được phủ sóng {before} → {after} (tính theo dân số); mục tiêu {target}.",
    "planmap.after_audit": "{pct} sau khi tính lại",
    "planmap.after_estimate": "≈ {pct} (ước tính)",
    "planmap.for_place": "đặt cho địa điểm mục tiêu {place}",
    "planmap.targets_html": "<br>Địa điểm mục tiêu có 5G: {before}/{n} → {after}; "
    "đặt {sites} trạm mới cho các địa điểm này.",
    # ------------------------------------------------------------------
    # command line (phusong.cli); no "%" in help texts (argparse formats them)
    # ------------------------------------------------------------------
    "cli.description": "Phủ Sóng: đánh giá phủ sóng 5G theo từng phường/xã của Hà Nội "
    "(mục tiêu: 99 % dân số vào năm 2030).",
    "cli.command.audit.help": "đánh giá phủ sóng 5G của từng phường/xã so với mục tiêu và ghi "
    "thư mục báo cáo",
    "cli.command.audit.description": "Tính tỷ lệ phủ sóng 5G theo diện tích và theo dân số của "
    "từng phường/xã, so với mục tiêu (mặc định: 99 % dân số vào năm 2030, Kế hoạch "
    "58/KH-UBND của Hà Nội) rồi ghi report.html, map.html, CSV, GeoJSON và summary.json.",
    "cli.command.plan.help": "đề xuất ít trạm mới nhất để đạt mục tiêu, rồi kiểm tra bằng cách "
    "tính lại vùng phủ",
    "cli.command.plan.description": "Đánh giá mạng lưới hiện có, đề xuất trạm mới để đưa tỷ lệ "
    "dân số được phủ sóng lên mức mục tiêu (mặc định 99 %, tính theo dân số) hoặc phủ rộng nhất "
    "với số trạm cho phép (--budget), tính lại vùng phủ với các trạm đề xuất và bổ sung thêm "
    "nếu vẫn thiếu. Ghi proposed_sites.csv (đọc được bằng 'phusong audit --sites'), curve.csv, "
    "wards_plan.csv, plan_summary.json và plan_map.html.",
    "cli.command.validate.help": "kiểm tra tệp danh sách trạm và liệt kê mọi dòng bị loại",
    "cli.command.validate.description": "Đọc tệp danh sách trạm/cell giống như lệnh 'audit', in "
    "số dòng đã đọc, được nhận và bị loại, rồi liệt kê từng dòng bị loại kèm tệp, số dòng, "
    "cột và lý do.",
    "cli.command.sample.help": "ghi mạng lưới mẫu GIẢ LẬP (SYNTHETIC) vào một thư mục",
    "cli.command.sample.description": "Ghi mạng lưới 5G mẫu GIẢ LẬP đi kèm (các trạm tự tạo) "
    "để dùng thử phusong.",
    "cli.command.progress.help": "đánh giá mạng lưới vào cuối mỗi quý kể từ ngày phát sóng "
    "đầu tiên và xem tiến độ so với từng chỉ tiêu có thời hạn",
    "cli.command.progress.description": "Đánh giá mạng lưới như hiện trạng vào cuối mỗi quý "
    "(hoặc năm, tháng) từ ngày phát sóng đầu tiên đến --as-of (mặc định hôm nay), rồi xem từng "
    "chỉ tiêu trong các kế hoạch của thành phố (99 % dân số vào năm 2030, tốc độ tải xuống "
    "trung bình, các địa điểm theo thời hạn): đã đạt, đúng tiến độ, chậm hay quá hạn, kèm tốc "
    "độ năm nay, tốc độ cần có để kịp hạn và năm đạt mục tiêu nếu giữ tốc độ này. Ghi "
    "progress.csv, progress.png, progress_report.html và progress_summary.json.",
    "cli.command.calibrate.help": "hiệu chỉnh mô hình suy hao truyền sóng theo tín hiệu đo "
    "thực tế (đo lái xe, dữ liệu cộng đồng) và báo sai số trước và sau",
    "cli.command.calibrate.description": "Ghép mỗi điểm đo với cell phục vụ (theo mã cell, nếu "
    "không có thì theo trạm mạnh nhất của mô hình), ước lượng độ lệch suy hao (và nếu cần cả độ "
    "dốc theo khoảng cách) cho từng nhà mạng × băng tần × loại địa bàn bằng bình phương tối "
    "thiểu bền vững, kiểm tra chéo k lần, rồi ghi calibration.json (dùng cho "
    "'audit --calibration'), calibration_report.html kèm biểu đồ, calibration_points.csv và "
    "calibration_summary.json.",
    "cli.help.measurements": "kiểm tra thêm (hoặc chỉ kiểm tra) tệp số liệu đo tín hiệu, "
    "đọc giống như lệnh 'calibrate'",
    "cli.validate.nothing": "validate: cần một TỆP danh sách trạm, --measurements TỆP, "
    "hoặc cả hai.",
    "cli.no_file": "{key}: chưa có tệp; thêm {option} TỆP.",
    "cli.help.default": "{text} (mặc định {default})",
    "cli.help.debug": "hiện đầy đủ chi tiết lỗi ngoài dự kiến và nhật ký gỡ lỗi",
    "cli.help.lang": "ngôn ngữ hiển thị kết quả: {choices} (mặc định: biến môi trường "
    "$PHUSONG_LANG, nếu không có thì en)",
    "cli.help.json": "in {what} ra stdout (và không in gì khác ra stdout)",
    "cli.help.quiet": "chỉ in lỗi (không in tóm tắt, không hiện thanh tiến trình)",
    "cli.help.zip": "ghi thêm vào thư mục kết quả một tệp ZIP gồm mọi kết quả, đặt tên theo "
    "kịch bản và ngày",
    "cli.help.config": "tệp TOML có cùng các khóa như các tùy chọn này (threshold_dbm = -105 …); "
    "tùy chọn gõ trên dòng lệnh được ưu tiên hơn",
    "cli.help.validate_file": "tệp danh sách trạm/cell cần kiểm tra",
    "cli.help.radio": "các công nghệ vô tuyến được giữ lại (mặc định NR; 'all' giữ tất cả)",
    "cli.help.wards": "khu vực khảo sát để kiểm tra trạm có nằm trong vùng hay không "
    "(mặc định: ranh giới phường/xã Hà Nội đi kèm)",
    "cli.help.validate_out": "ghi thêm các dòng bị loại vào tệp CSV này",
    "cli.help.validate_overwrite": "ghi đè --out nếu tệp đã có",
    "cli.help.sample_out": "thư mục để ghi dữ liệu mẫu (mặc định ./phusong-sample)",
    "cli.help.sample_overwrite": "ghi đè các tệp trong thư mục đã có dữ liệu",
    "cli.error.data": "dữ liệu đầu vào có lỗi",
    "cli.error.usage": "sai cách dùng lệnh",
    "cli.error.goal_not_met": "chưa đạt mục tiêu",
    "cli.error.unexpected": "lỗi ngoài dự kiến: {kind}: {message} "
    "(chạy lại với --debug để xem đầy đủ chi tiết lỗi)",
    "cli.plan.no_sites": "sites: chưa có tệp danh sách trạm; thêm --sites TỆP.",
    "cli.interrupted": "đã dừng theo yêu cầu",
    "cli.fail_under.audit": "--fail-under: chưa đạt mục tiêu ({goal}).",
    "cli.fail_under.plan": "--fail-under: tính lại với các trạm đề xuất, dân số được phủ sóng "
    "đạt {reached}, chưa tới mục tiêu {target}.",
    "cli.validate.exists": "{path} đã tồn tại; thêm --overwrite để ghi đè.",
    "cli.validate.written": "Đã ghi báo cáo kiểm tra vào {path}",
    "cli.sample.written": "Đã ghi mạng lưới mẫu GIẢ LẬP (SYNTHETIC) vào {path}: {names}",
    "cli.sample.made_up": "Đây là dữ liệu tự tạo để dùng thử phusong, không phải trạm thật của "
    "nhà mạng nào.",
    # ------------------------------------------------------------------
    # trợ giúp của từng tùy chọn dòng lệnh (phusong.cli --help, các bảng của
    # phusong.options); tiếng Anh: chữ help= trong phusong.options. Khóa option.<key>;
    # option.<bảng>.<key> khi bảng sau có cùng khóa nhưng nghĩa khác (xem catalog.en)
    # ------------------------------------------------------------------
    # --- AUDIT (phusong audit, phusong progress) ---
    "option.sites": "tệp danh sách trạm/cell: CSV của OpenCelliD, bảng tính của nhà mạng "
    "(CSV/XLSX), GeoJSON, GPKG…",
    "option.wards": "ranh giới phường/xã (mặc định: ranh giới 126 phường/xã Hà Nội đi kèm)",
    "option.model": "mô hình tính vùng phủ: planning (3GPP TR 38.901, kịch bản theo từng "
    "phường/xã, cả ngoài trời và trong nhà), một mô hình suy hao truyền sóng duy nhất tính "
    "trên lưới ô, hoặc ước tính nhanh theo vùng phủ hình học disc/sector (không tính truyền "
    "sóng: là mức cao nhất có thể)",
    "option.threshold_dbm": "ngưỡng tín hiệu để được coi là có sóng (SS-RSRP) [dBm], cho các "
    "mô hình suy hao truyền sóng",
    "option.resolution_m": "kích thước ô lưới [m] của các mô hình suy hao truyền sóng",
    "option.goal": "mục tiêu phủ sóng [%]",
    "option.goal_metric": "mục tiêu tính theo gì: population (dân số) hoặc area (diện tích)",
    "option.operators": "chỉ giữ các nhà mạng này (ví dụ --operator Viettel VinaPhone; có thể "
    "lặp lại tùy chọn)",
    "option.radio": "các công nghệ vô tuyến được giữ lại (NR, LTE, …; 'all' giữ tất cả)",
    "option.population_raster": "bản đồ dân số GeoTIFF, số người trong mỗi ô lưới (ví dụ WorldPop)",
    "option.radius_m": "bán kính vùng phủ dùng chung cho mô hình disc/sector, thay cho tầm phủ "
    "riêng của từng cell [m]",
    "option.indoor_loss_db": "suy hao cộng thêm như nhau tại mọi vị trí [dB], chỉ cho các mô "
    "hình suy hao truyền sóng một kịch bản (mô hình planning tính vùng phủ trong nhà bằng mô "
    "hình O2I của TR 38.901 thay cho tùy chọn này)",
    "option.reliability": "độ tin cậy phủ sóng ở rìa cell (0,5 = không cộng độ dự trữ fading)",
    "option.min_gap_area_m2": "diện tích nhỏ nhất của một vùng lõm sóng được liệt kê [m²]",
    "option.route": "cách tính: auto, vector, raster hoặc tiled (cộng dồn theo từng phường/xã, "
    "lần lượt từng mảnh lưới, không dựng cả lưới một lúc; cho quy mô cả nước)",
    "option.tile_px": "kích thước cạnh mỗi mảnh lưới [ô lưới]",
    "option.scheduler": "chạy các cách tính trên lưới bằng Dask: processes, một số tiến trình "
    "làm việc (worker), hoặc tcp://host:8786",
    "option.population": "người dân sống ở đâu trong mỗi phường/xã: auto (trọng số WorldPop "
    "2020 ô 1 km cho các phường/xã đi kèm, hoặc trọng số từ --population-raster, quy đổi để "
    "tổng mỗi phường/xã bằng dân số chính thức; các trường hợp khác: chia đều), worldpop, "
    "hoặc uniform (dân số chính thức chia đều trên diện tích)",
    "option.goal_layer": "mục tiêu được đánh giá theo vùng phủ nào: outdoor (ngoài trời, mặc "
    "định) hoặc indoor (trong nhà, với các mô hình suy hao truyền sóng; cả hai luôn có trong "
    "báo cáo)",
    "option.o2i_model": "mô hình suy hao xuyên tường O2I (TR 38.901) của lớp trong nhà: "
    "low-loss (kính thường và bê tông) hoặc high-loss (kính phản xạ nhiệt IRR); khu vực RMa "
    "(nông thôn) luôn dùng low-loss",
    "option.scenarios": "tệp CSV đặt lại kịch bản của từng phường/xã cho mô hình planning: cột "
    "ward (mã hoặc tên phường/xã) và cột scenario (uma, umi hoặc rma)",
    "option.los_probability": "mô hình planning: lấy trung bình có trọng số suy hao nhìn thẳng "
    "(LOS) và không nhìn thẳng (NLOS) theo xác suất LOS của TR 38.901 (mặc định: NLOS, lựa "
    "chọn thận trọng)",
    "option.ue_gain_dbi": "độ lợi ăng-ten của thiết bị người dùng (UE) [dBi] (các mô hình suy hao "
    "truyền sóng)",
    "option.body_loss_db": "suy hao do cơ thể người dùng [dB] (các mô hình suy hao truyền "
    "sóng; khoảng 3 dB khi áp điện thoại vào tai)",
    "option.sinr_min_db": "chỉ coi là có sóng khi SINR của cell phục vụ mạnh nhất cũng ≥ mức "
    "này [dB] (các mô hình suy hao truyền sóng; tính nhiễu của mọi cell cùng kênh, xuống tới "
    "mức tạp âm nền)",
    "option.sector_edge_db": "mô hình sector: hình quạt kết thúc ở hướng mà giản đồ bức xạ "
    "ăng-ten thấp hơn hướng bức xạ chính chừng này [dB] (10 dB: ba sector 65° gặp nhau ở "
    "±60°, nơi giản đồ của TR 38.901 thấp hơn 10,2 dB)",
    "option.terrain": "nhiễu xạ do địa hình theo mô hình số độ cao DEM (ITU-R P.526 "
    "Bullington): auto (bật với mô hình planning), on (bật) hoặc off (tắt); các ô lưới không "
    "có dữ liệu địa hình được tính không có địa hình và được nêu trong kết quả",
    "option.dem": "mô hình số độ cao cho địa hình: SRTM .hgt hoặc GeoTIFF (mặc định: mảnh "
    "SRTM N21E105 đi kèm, phủ phần Hà Nội phía bắc vĩ độ 21°N; phần còn lại ghi là 'không rõ địa "
    "hình')",
    "option.calibration": "tệp hiệu chỉnh do lệnh 'phusong calibrate' tạo ra "
    "(calibration.json): độ lệch suy hao theo từng nhà mạng × băng tần × loại địa bàn, áp "
    "vào mô hình suy hao truyền sóng",
    "option.crs": "hệ tọa độ của các dữ liệu đầu vào ghi tọa độ phẳng (mét) mà không kèm hệ "
    "tọa độ (x/y của trạm đặt trong các cột lat/lon, tệp phường/xã không có CRS), ví dụ "
    "EPSG:3405 (VN-2000 / UTM 48N) hoặc EPSG:5897 (VN-2000 / TM-3 105°E)",
    "option.as_of": "đánh giá mạng lưới như hiện trạng vào ngày này: chỉ tính các cell đã phát "
    "sóng tới ngày đó (cần ngày phát sóng: cột 'on_air', hoặc dùng tạm cột 'created' của "
    "OpenCelliD); cũng là ngày dùng để xét các chỉ tiêu (mặc định hôm nay)",
    "option.targets": "các địa điểm mục tiêu phải có 5G trước một thời hạn: điểm hoặc đa giác "
    "có cột 'deadline' và 'kind' (GeoJSON, GeoPackage, Shapefile nén zip, hoặc CSV/XLSX có "
    "lat/lon)",
    "option.goals": "các chỉ tiêu được xét và dùng để báo không đạt: coverage (phủ sóng), "
    "speed (tốc độ), places (địa điểm; hoặc chỉ các địa điểm của một thời hạn: "
    "places:2025-12-31); mặc định: mọi chỉ tiêu áp dụng được",
    "option.speed_target_mbps": "chỉ tiêu tốc độ: tốc độ tải xuống 5G trung bình của những "
    "người có sóng [Mbit/s] (Kế hoạch 58/KH-UBND: 100)",
    "option.place_min_share_pct": "phần diện tích của một địa điểm mục tiêu dạng đa giác phải "
    "có sóng để địa điểm được tính là đã phủ sóng [%]",
    "option.out": "thư mục kết quả",
    "option.overwrite": "ghi đè các tệp trong thư mục kết quả đã có dữ liệu",
    "option.fail_under": "thoát với mã 3 khi chưa đạt mục tiêu (khi có chỉ tiêu theo thời hạn: "
    "khi bất kỳ chỉ tiêu nào đã chọn chưa đạt; xem --goals)",
    # --- THROUGHPUT (ước tính tốc độ từ SINR; phusong audit, phusong progress) ---
    "option.throughput_alpha": "thông lượng: hệ số suy giảm α so với giới hạn Shannon "
    "(TR 36.942 A.2)",
    "option.throughput_sinr_min_db": "thông lượng: mức SINR mà dưới đó không truyền được dữ "
    "liệu [dB] (TR 36.942 A.2)",
    "option.throughput_se_max": "thông lượng: hiệu suất phổ cao nhất trên mỗi lớp MIMO "
    "[bit/s/Hz] (TR 36.942 A.2)",
    "option.throughput_tdd_layers": "thông lượng: số lớp MIMO trên sóng mang TDD (n41, n77, n78)",
    "option.throughput_fdd_layers": "thông lượng: số lớp MIMO trên sóng mang FDD (n28)",
    "option.throughput_tdd_dl_share": "thông lượng: tỷ lệ thời gian sóng mang TDD phát đường "
    "xuống (DDDSU, S 10:2:2)",
    "option.throughput_overhead": "thông lượng: phần tài nguyên dành cho báo hiệu (overhead) ở "
    "lớp vật lý (TS 38.306: 0,14 cho đường xuống FR1)",
    "option.throughput_cell_load": "thông lượng: tỷ lệ tài nguyên của sóng mang đã do người "
    "dùng khác sử dụng",
    # --- PLAN (phusong plan) ---
    "option.plan.sites": "mạng lưới hiện có (mọi định dạng lệnh 'audit' đọc được)",
    "option.target": "tỷ lệ dân số được phủ sóng cần đạt [%], tính theo dân số (mặc định: "
    "theo mục tiêu, 99)",
    "option.budget": "thay cho mục tiêu: phủ sóng tốt nhất với tối đa N trạm mới",
    "option.candidates": "các vị trí được phép đặt trạm mới: bảng danh sách trạm, CSV của "
    "OpenCelliD, hoặc tệp điểm hay đa giác (mặc định: lưới đều trong và quanh các vùng lõm "
    "sóng)",
    "option.min_spacing_m": "khoảng cách tối thiểu giữa các trạm mới, và từ trạm mới tới trạm "
    "hiện có cùng nhà mạng [m]",
    "option.excluded": "vùng cấm đặt trạm mới, dạng đa giác (GeoJSON, GeoPackage, Shapefile "
    "nén zip, GeoParquet)",
    "option.method": "thuật toán chọn vị trí trạm: greedy (nhanh), milp (tối ưu chính xác) "
    "hoặc both (cả hai)",
    "option.operator": "nhà mạng của các trạm mới (mặc định: nhà mạng có nhiều cell nhất)",
    "option.max_rounds": "số vòng quy hoạch tối đa (đề xuất, tính lại vùng phủ, bổ sung)",
    "option.time_limit_s": "thời gian tối đa của MILP cho mỗi vòng [s]",
    "option.ward_floor_pct": "đồng thời đưa mọi phường/xã lên ít nhất tỷ lệ dân số được phủ "
    "sóng này [%] (greedy, chế độ theo mục tiêu)",
    "option.cover_targets": "phủ sóng thêm mọi địa điểm mục tiêu của --targets theo tiêu chí "
    "riêng của từng địa điểm: đặt trạm cho các địa điểm chưa có sóng (các trạm này được tính "
    "vào --budget)",
    "option.plan.fail_under": "thoát với mã 3 khi lần tính lại vùng phủ vẫn chưa đạt mục tiêu",
    # --- PLANNER (run_plan(plan_options=…)) ---
    "option.demand_cell_m": "cạnh ô của lưới nhu cầu mà bộ quy hoạch dùng để đếm người dân [m]",
    "option.candidate_spacing_m": "khoảng cách giữa các điểm của lưới vị trí ứng viên [m] (mặc "
    "định: một phần ba bán kính phủ của trạm mới, không nhỏ hơn ô lưới nhu cầu)",
    "option.mip_rel_gap": "độ chênh tối ưu tương đối của MILP (MIP gap) mà tại đó bộ giải "
    "HiGHS dừng",
    # --- CALIBRATE (phusong calibrate) ---
    "option.calibrate.sites": "mạng lưới (mọi định dạng lệnh 'audit' đọc được)",
    "option.measurements": "số liệu đo tín hiệu: tệp xuất từ đo lái xe (drive test) hoặc dữ "
    "liệu cộng đồng (CSV/TSV, XLSX, GeoJSON, Parquet) có vĩ độ, kinh độ và SS-RSRP/RSRP [dBm]",
    "option.calibrate.model": "mô hình suy hao truyền sóng cần hiệu chỉnh (mặc định: mô hình "
    "mặc định của lệnh audit nếu đó là mô hình suy hao truyền sóng, nếu không thì uma)",
    "option.fit_slope": "ước lượng thêm độ dốc theo khoảng cách [dB/decade] (mặc định: chỉ ước "
    "lượng độ lệch)",
    "option.folds": "số phần chia dữ liệu (fold) khi kiểm tra chéo",
    "option.min_points": "số điểm đo tối thiểu để một nhóm nhà mạng × băng tần × loại địa bàn "
    "được hiệu chỉnh",
    "option.seed": "hạt giống ngẫu nhiên (seed) để chia dữ liệu kiểm tra chéo",
    "option.nearest_sites": "số vị trí trạm được xét cho mỗi nhà mạng × băng tần khi tìm cell "
    "phục vụ mạnh nhất của một điểm đo",
    # --- PROGRESS (phusong progress) ---
    "option.freq": "đánh giá một lần mỗi quý (quarter), năm (year) hoặc tháng (month), từ ngày "
    "phát sóng đầu tiên đến --as-of",
    "option.required_sites": "chạy thêm bộ quy hoạch trên mạng lưới của ngày cuối cùng: số trạm "
    "mới cần có để đạt mục tiêu phủ sóng, và số trạm cần thêm mỗi năm cho tới thời hạn",
    "option.progress.fail_under": "thoát với mã 3 khi một chỉ tiêu đã chọn chưa đạt (xem --goals)",
}
