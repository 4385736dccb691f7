"""site.toml: a good file loads, every mistake is reported with its line, all at once."""

from pathlib import Path

import pytest

from portal.config import load_config, make_config
from portal.errors import BuildError

ROOT = Path(__file__).resolve().parents[1]
GOOD = (ROOT / "site.toml").read_text(encoding="utf-8")


def problems(text: str) -> list[str]:
    with pytest.raises(BuildError) as caught:
        make_config(text, ROOT)
    return [p.format() for p in caught.value.problems]


def test_shipped_config_loads():
    config = load_config(ROOT)
    assert [lang.code for lang in config.languages] == ["vi", "en", "ar"]
    assert config.default_language.prefix == "" and config.language("ar").prefix == "ar/"
    assert config.language("ar").direction == "rtl"
    assert config.province_code == "40"


def test_base_url_option_overrides_and_gets_a_trailing_slash():
    assert make_config(GOOD, ROOT, base_url="https://example.org/p06").base_url == "https://example.org/p06/"


def test_syntax_error_names_the_line():
    text = GOOD.replace('province_code = "40"', 'province_code = "40')
    line = GOOD.splitlines().index('province_code = "40"') + 1
    (message,) = problems(text)
    assert message.startswith(f"site.toml:{line}: TOML syntax")


def test_every_mistake_is_listed_at_once_with_its_line():
    text = GOOD.replace('direction = "rtl"', 'direction = "sideways"').replace(
        'licence_name = "CC BY 4.0"', 'licence_nam = "CC BY 4.0"')
    found = problems(text)
    lines = GOOD.splitlines()
    line = lines.index('direction = "rtl"') + 1
    assert f"site.toml:{line}: direction must be \"ltr\" or \"rtl\", not 'sideways'" in found
    assert any("unknown key `licence_nam`" in m and "did you mean `licence_name`?" in m for m in found)
    assert any("missing the key `licence_name`" in m for m in found)


def test_language_without_its_table():
    found = problems(GOOD.replace('languages = ["vi", "en", "ar"]', 'languages = ["vi", "en", "ar", "fr"]'))
    assert any("language 'fr' has no [languages.fr] table" in m for m in found)


def test_wrong_types_and_unknown_navigation():
    found = problems(GOOD.replace('navigation = ["home", "indicators", "news", "data", "search"]', 'navigation = ["home", "blog"]')
                     .replace('province_code = "40"', "province_code = 40"))
    assert any("unknown page 'blog'" in m for m in found)
    assert any("`province_code` must be a str, not int" in m for m in found)


def test_missing_file(tmp_path):
    with pytest.raises(BuildError) as caught:
        load_config(tmp_path)
    assert caught.value.problems[0].format().startswith("site.toml: file not found")


def test_every_setting_and_front_matter_key_is_documented_in_the_readme():
    from portal.config import LANGUAGE_KEYS, SITE_KEYS
    from portal.front_matter import OPTIONAL, REQUIRED
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    undocumented = [key for key in [*SITE_KEYS, *LANGUAGE_KEYS] if f"| `{key}` |" not in readme]
    undocumented += [key for key in [*REQUIRED, *OPTIONAL] if f"\n{key}:" not in readme]
    assert not undocumented, f"document these in README.md: {undocumented}"
