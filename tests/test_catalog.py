"""The DCAT-AP catalogue: JSON-LD that expands without fetching anything, and passes a SHACL shape."""

from __future__ import annotations

import hashlib
import json

import pytest

from conftest import SUBPATH_BASE_URL, parse

pyld = pytest.importorskip("pyld")
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
SPDX = "http://spdx.org/rdf/terms#"

# The DCAT-AP 3 properties the portal promises, as a shape (a subset of the DCAT-AP shapes: those
# the catalogue, each dataset and each distribution must have here).
SHAPE = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/shapes#> .

ex:Catalog a sh:NodeShape ; sh:targetClass dcat:Catalog ;
  sh:property [ sh:path dct:title ; sh:minCount 1 ] , [ sh:path dct:description ; sh:minCount 1 ] ,
    [ sh:path dct:publisher ; sh:minCount 1 ; sh:maxCount 1 ] , [ sh:path dct:license ; sh:nodeKind sh:IRI ; sh:maxCount 1 ] ,
    [ sh:path dcat:dataset ; sh:minCount 1 ; sh:class dcat:Dataset ] .
ex:Dataset a sh:NodeShape ; sh:targetClass dcat:Dataset ;
  sh:property [ sh:path dct:title ; sh:minCount 1 ] , [ sh:path dct:description ; sh:minCount 1 ] ,
    [ sh:path dct:publisher ; sh:minCount 1 ] , [ sh:path dct:accrualPeriodicity ; sh:nodeKind sh:IRI ; sh:maxCount 1 ; sh:minCount 1 ] ,
    [ sh:path dct:spatial ; sh:minCount 1 ] , [ sh:path dct:temporal ; sh:class dct:PeriodOfTime ] ,
    [ sh:path dcat:distribution ; sh:minCount 1 ; sh:class dcat:Distribution ] .
ex:Period a sh:NodeShape ; sh:targetClass dct:PeriodOfTime ;
  sh:property [ sh:path dcat:startDate ; sh:datatype xsd:date ; sh:maxCount 1 ] , [ sh:path dcat:endDate ; sh:datatype xsd:date ; sh:maxCount 1 ] .
ex:Distribution a sh:NodeShape ; sh:targetClass dcat:Distribution ;
  sh:property [ sh:path dcat:accessURL ; sh:minCount 1 ; sh:nodeKind sh:IRI ] , [ sh:path dcat:mediaType ; sh:minCount 1 ; sh:maxCount 1 ; sh:nodeKind sh:IRI ] ,
    [ sh:path dct:license ; sh:minCount 1 ; sh:nodeKind sh:IRI ] , [ sh:path dcat:byteSize ; sh:datatype xsd:nonNegativeInteger ] ,
    [ sh:path spdx:checksum ; sh:minCount 1 ; sh:maxCount 1 ; sh:node ex:Checksum ] .
ex:Checksum a sh:NodeShape ;
  sh:property [ sh:path spdx:algorithm ; sh:minCount 1 ; sh:nodeKind sh:IRI ] , [ sh:path spdx:checksumValue ; sh:minCount 1 ; sh:datatype xsd:hexBinary ] .
"""


def offline_loader(url, options=None):
    raise AssertionError(f"the catalogue asked for a remote document: {url}")


def expand(path):
    document = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(document["@context"], dict)  # inline: nothing to fetch
    return pyld.jsonld.expand(document, {"documentLoader": offline_loader})


def values(node: dict, prop: str) -> list:
    return node.get(prop, [])


def test_catalogue_expands_offline_and_lists_every_dataset_with_checked_distributions(subpath_site):
    (catalog,) = expand(subpath_site / "data/catalog.jsonld")
    assert catalog["@type"] == [DCAT + "Catalog"] and catalog["@id"] == SUBPATH_BASE_URL + "data/catalog.jsonld"
    titles = {t["@language"]: t["@value"] for t in values(catalog, DCT + "title")}
    assert set(titles) == {"vi", "en", "ar"}
    datasets = values(catalog, DCAT + "dataset")
    names = [d[DCT + "identifier"][0]["@value"] for d in datasets]
    assert names == [r["name"] for r in json.loads((subpath_site / "data/datapackage.json").read_text())["resources"]]
    for dataset in datasets:
        assert values(dataset, DCT + "accrualPeriodicity")[0]["@id"].startswith(
            "http://publications.europa.eu/resource/authority/frequency/")
        assert values(dataset, DCT + "license") == [] and values(dataset, DCT + "publisher")
        landing = values(dataset, DCAT + "landingPage")[0]["@id"].removeprefix(SUBPATH_BASE_URL).split("#")[0]
        assert (subpath_site / (landing or "index.html")).exists() or (subpath_site / landing / "index.html").exists()
        media = set()
        for distribution in values(dataset, DCAT + "distribution"):
            address = distribution[DCAT + "downloadURL"][0]["@id"]
            content = (subpath_site / address.removeprefix(SUBPATH_BASE_URL)).read_bytes()
            checksum = distribution[SPDX + "checksum"][0]
            assert checksum[SPDX + "checksumValue"][0]["@value"] == hashlib.sha256(content).hexdigest()
            assert int(distribution[DCAT + "byteSize"][0]["@value"]) == len(content)
            media.add(distribution[DCAT + "mediaType"][0]["@id"].rsplit("/", 2)[-2:][1])
        assert media == {"csv", "json", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def test_each_dataset_has_its_own_jsonld_linked_from_its_page(subpath_site):
    page = parse(subpath_site / "en/indicators/online-dossiers.html")
    link = page.select_one('link[rel="alternate"][type="application/ld+json"]')
    assert link["href"] == "../../data/online_dossiers.jsonld"
    (dataset,) = expand(subpath_site / "data/online_dossiers.jsonld")
    assert dataset["@type"] == [DCAT + "Dataset"]
    period = dataset[DCT + "temporal"][0]
    assert period[DCAT + "startDate"][0]["@value"] == "2023-01-01" and period[DCAT + "endDate"][0]["@value"] == "2023-12-31"
    assert dataset[DCT + "spatial"][0]
    catalogue = parse(subpath_site / "data/index.html").select_one('link[rel="alternate"][type="application/ld+json"]')
    assert catalogue["href"] == "catalog.jsonld"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib warns about its own JSON-LD parser
def test_catalogue_conforms_to_the_dcat_ap_shape(subpath_site):
    pyshacl = pytest.importorskip("pyshacl")
    rdflib = pytest.importorskip("rdflib")
    expanded = expand(subpath_site / "data/catalog.jsonld")
    graph = rdflib.Graph().parse(data=json.dumps(expanded), format="json-ld")
    assert len(graph) > 100
    conforms, _graph, report = pyshacl.validate(graph, shacl_graph=SHAPE, shacl_graph_format="turtle")
    assert conforms, report
