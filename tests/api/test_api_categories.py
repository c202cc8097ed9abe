"""The category catalogue through the API: every category of the shipped file in its order, with
the standard the file sets for it, for users and external systems; `q` narrows it down."""
import tomllib

from handlers.categories.catalogue import DEFAULT_PATH
from tests.api.httpapi import assert_error


def shipped():
    """[(code, name)] of the shipped catalogue file in its order, and its standards, read here."""
    data = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    codes = [(f"{kind['code']}0{cls['code']}{minor[2:]}", name, cls["name"])
             for kind in data["kinds"] for cls in kind["classes"] for minor, name in cls["minor"].items()]
    return codes, data.get("standards", {})


def test_the_catalogue_as_shipped_with_its_standards(api):
    codes, standards = shipped()
    body = api.as_user("grid-35020301100301").get("/api/v1/categories").json()
    assert body["total"] == len(body["categories"]) == len(codes) > 50
    assert [(c["code"], c["name"], c["major"]) for c in body["categories"]] == codes
    by_code = {c["code"]: c for c in body["categories"]}
    sewage = by_code["200115"]
    assert sewage["label"] == "200115 乱倒乱排污水废水" and sewage["kind"] == "事件"
    assert sewage["standard"] == {k: standards["200115"][k] for k in ("filing", "closing", "urgency")}
    without = [c for c in body["categories"] if c["code"] not in standards]
    assert without and all(c["standard"] is None for c in without)
    assert {c["code"] for c in body["categories"] if c["standard"]} == set(standards)


def test_a_search_keeps_what_contains_every_word(api):
    client = api.as_client("hotline", "hotline12345")
    found = client.get("/api/v1/categories", params={"q": "污水"}).json()["categories"]
    assert {"100102", "200115"} <= {c["code"] for c in found}
    assert all("污水" in c["code"] + c["kind"] + c["major"] + c["name"] for c in found)
    both = client.get("/api/v1/categories", params={"q": "事件 污水"}).json()["categories"]
    assert "200115" in {c["code"] for c in both} and "100102" not in {c["code"] for c in both}
    assert client.get("/api/v1/categories", params={"q": "没有这样的类别"}).json() == {"categories": [], "total": 0}


def test_refused(api):
    user = api.as_user("intake")
    assert "q" in assert_error(user.get("/api/v1/categories", params={"q": "长" * 51}), 422)["errors"]
    assert "q" in assert_error(user.get("/api/v1/categories", params={"q": "污\x01水"}), 422)["errors"]
    assert "page" in assert_error(user.get("/api/v1/categories", params={"page": "2"}), 422)["errors"]
    assert_error(api.anonymous().get("/api/v1/categories"), 401)
