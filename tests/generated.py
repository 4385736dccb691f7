"""Generated test data, not real figures: monthly province rows, two districts with long names,
and categories with long names, for the pages and charts that progress and places give."""

from __future__ import annotations

import json

from conftest import TINY_PACKAGE

# Generated test data, not real figures: monthly province rows and two districts at the last month.
UNITS = ("code,name,type,parent_code,name_en,name_ar,level,valid_until\n"
         "40,Tỉnh Thử,province,,Test Province,مقاطعة تجريبية,province,\n"
         "412,Thành phố Thử Nghiệm Có Tên Rất Dài,city,40,Test City,مدينة تجريبية,district,2025-06-30\n"
         "413,Huyện Thử,district,40,Test District,مقاطعة فرعية تجريبية,district,2025-06-30\n")
COUNTS = ("date,unit_code,issued\n2023-10-31,40,800\n2023-11-30,40,1000\n2023-12-31,40,1500\n"
          "2023-12-31,412,900\n2023-12-31,413,600\n")


def district_package() -> dict:
    """The tiny package with unit names per language and a monthly update cycle."""
    described = json.loads(json.dumps(TINY_PACKAGE))
    counts, units = described["resources"]
    counts["indicator"]["chart"] = {"measures": ["issued"]}
    counts["updateFrequency"] = "P1M"
    for name in ("name_en", "name_ar", "level", "valid_until"):
        units["schema"]["fields"].append({"name": name, "type": "string"})
    return described


# Generated test data with long names, not real figures.
LONG = {
    "a": {"vi": "Các thủ tục hành chính được tiếp nhận và giải quyết trực tuyến toàn trình",
          "en": "Administrative procedures received and settled online from start to finish",
          "ar": "الإجراءات الإدارية المستلمة والمنجزة عبر الإنترنت من البداية إلى النهاية"},
    "b": {"vi": "Dịch vụ công thiết yếu", "en": "Essential services", "ar": "الخدمات الأساسية"},
    "c": {"vi": "Các sở, ban, ngành cấp tỉnh và các đơn vị trực thuộc", "en": "Provincial departments, boards, "
          "sectors and the units under them", "ar": "الدوائر والهيئات والقطاعات في المقاطعة والوحدات التابعة لها"},
}


def long_label_package() -> dict:
    """district_package with a second indicator whose categories have long names."""
    described = district_package()
    rates = json.loads(json.dumps(TINY_PACKAGE["resources"][0]))
    rates.update({"name": "rates", "path": "rates.csv"})
    rates["schema"]["fields"] = [
        {"name": "year", "type": "year", "titles": {"en": "Year"}},
        {"name": "unit_code", "type": "string", "titles": {"en": "Unit"}},
        {"name": "scope", "type": "string", "titles": {"en": "Scope"}, "constraints": {"enum": list(LONG)},
         "enumTitles": LONG},
        {"name": "rate_pct", "type": "number", "unit": "%", "titles": {"vi": "Tỷ lệ", "en": "Rate", "ar": "النسبة"}},
        {"name": "target_pct", "type": "number", "unit": "%", "titles": {"vi": "Chỉ tiêu", "en": "Target", "ar": "الهدف"}},
    ]
    rates["schema"]["primaryKey"] = ["year", "unit_code", "scope"]
    rates["indicator"] = {"slug": "rates", "headline": {"value": "rate_pct", "where": {"scope": "a"}},
                          "chart": {"measures": ["rate_pct"], "category": "scope", "target": "target_pct"}}
    described["resources"].insert(1, rates)
    return described


# Generated test data, not real figures: a rate below its target, then a high and a low one with two decimals.
RATES = "year,unit_code,scope,rate_pct,target_pct\n2023,40,a,33.33,40\n2023,40,b,88.88,\n2023,40,c,22.22,\n"
