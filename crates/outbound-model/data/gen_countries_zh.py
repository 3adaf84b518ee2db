#!/usr/bin/env python3
"""Generate countries-zh.tsv (ISO 3166-1 alpha-2 code, Simplified Chinese name) from
Debian's iso-codes package (apt-get install iso-codes): the codes from
/usr/share/iso-codes/json/iso_3166-1.json, the names from the zh_CN translation
/usr/share/locale/zh_CN/LC_MESSAGES/iso_3166-1.mo (the common name's translation
where there is one, else the name's). A few names are corrected to the forms the
PRC Ministry of Foreign Affairs uses (OVERRIDES, each with why).
Run: python3 gen_countries_zh.py > countries-zh.tsv"""
import gettext
import json

SRC = "/usr/share/iso-codes/json/iso_3166-1.json"
MO = "/usr/share/locale/zh_CN/LC_MESSAGES/iso_3166-1.mo"

# Code -> name, where the iso-codes translation is a typo, a Taiwan-usage form, or
# not how a PRC compliance text names the place.
OVERRIDES = {
    "HK": "中国香港",  # a region of China: named as such in PRC texts
    "MO": "中国澳门",
    "TW": "中国台湾",
    "BO": "玻利维亚",  # iso-codes: 波利维亚 (typo)
    "BD": "孟加拉国",  # MFA form
    "BW": "博茨瓦纳",  # iso-codes: 博兹瓦那
    "GS": "南乔治亚岛和南桑威奇群岛",  # iso-codes: 南桑德韦奇岛
    "GT": "危地马拉",  # iso-codes: 瓜地马拉 (Taiwan usage)
    "IM": "马恩岛",  # iso-codes: 曼岛
    "KG": "吉尔吉斯斯坦",  # iso-codes: 吉尔吉斯坦
    "KH": "柬埔寨",  # iso-codes: 柬埔塞 (typo)
    "LC": "圣卢西亚",  # iso-codes: 圣路西亚
    "MT": "马耳他",  # iso-codes: 马尔他
    "PF": "法属波利尼西亚",  # iso-codes: 法属玻利尼西亚
    "SM": "圣马力诺",  # iso-codes: 圣马力诺市
    "VA": "梵蒂冈",  # iso-codes: 梵地冈 (typo)
}

t = gettext.GNUTranslations(open(MO, "rb"))
data = json.load(open(SRC, encoding="utf-8"))["3166-1"]
print("# ISO 3166-1 alpha-2 codes with Simplified Chinese names. Source: Debian iso-codes 4.15.0")
print("# (iso_3166-1.json, zh_CN iso_3166-1.mo), corrected as listed in gen_countries_zh.py, which generated it")
for c in sorted(data, key=lambda c: c["alpha_2"]):
    code = c["alpha_2"]
    common = c.get("common_name")
    zh = t.gettext(common) if common and t.gettext(common) != common else t.gettext(c["name"])
    zh = OVERRIDES.get(code, zh)
    if zh == c["name"]:
        raise SystemExit(f"{code}: no Chinese name")
    print(f"{code}\t{zh}")
