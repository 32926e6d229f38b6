"""`wowcard build` never writes or deletes through a symbolic link: a link from the output folder down (the
folder itself, the survey's folder, a subfolder, a page, the manifest) stops the build with exit 2 naming it,
and whatever the link points at outside is left exactly as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from wowcard.__main__ import cli

WITHOUT_MILL = (
    ('[[staff]]\nid = "sam"\nname = "Sam"\nlocation = "mill"\n\n', ""),
    ('[[staff]]\nid = "li"\nname = "Li"\nlocation = "mill"\n', ""),
    ('[[locations]]\nid = "mill"\nname = "Old Mill"\n\n', ""),
    ('locations = ["quay", "mill"]', 'location = "quay"'),
)


def build(survey_file: Path, *args: str):
    return CliRunner().invoke(cli, ["build", "-s", str(survey_file), *args])


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the output folder holding files a link might reach."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "index.html").write_text("the owner's other site")
    (folder / "secret.txt").write_text("keep me")
    return folder


@pytest.fixture
def site(survey_file: Path) -> Path:
    result = build(survey_file)
    assert result.exit_code == 0, result.output
    return survey_file.parent / "build" / "harbour"


def untouched(outside: Path) -> bool:
    return {p.name: p.read_text() for p in outside.iterdir()} == {
        "index.html": "the owner's other site",
        "secret.txt": "keep me",
    }


def refused(result, link: Path) -> bool:
    shown = str(link.relative_to(Path.cwd())) if link.is_relative_to(Path.cwd()) else str(link)
    return (
        result.exit_code == 2
        and f"{shown} is a symbolic link; `wowcard build` writes only regular files" in result.output
        and "Traceback" not in result.output
    )


def test_a_page_that_is_a_link_to_a_file_outside_is_not_written_through(site, survey_file, outside):
    page = site / "quay" / "index.html"
    page.unlink()
    page.symlink_to(outside / "index.html")
    result = build(survey_file)
    assert refused(result, page), result.output
    assert untouched(outside) and page.is_symlink()


def test_a_subfolder_that_is_a_link_to_a_folder_outside_gets_no_pages(site, survey_file, outside):
    for path in sorted((site / "quay" / "s").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (site / "quay" / "s").rmdir()
    (site / "quay" / "s").symlink_to(outside, target_is_directory=True)
    result = build(survey_file)
    assert refused(result, site / "quay" / "s"), result.output
    assert untouched(outside)


def test_the_survey_folder_itself_as_a_link_is_refused(survey_file, outside):
    (survey_file.parent / "build").mkdir()
    link = survey_file.parent / "build" / "harbour"
    link.symlink_to(outside, target_is_directory=True)
    result = build(survey_file)
    assert refused(result, link), result.output
    assert untouched(outside)


def test_the_output_folder_as_a_link_is_refused(survey_file, outside, tmp_path):
    link = tmp_path / "public"
    link.symlink_to(outside, target_is_directory=True)
    result = build(survey_file, "--out", str(link))
    assert refused(result, link), result.output
    assert untouched(outside)


def test_stale_removal_does_not_delete_through_a_link_to_a_folder(site, survey_file, outside):
    """mill's pages are in the manifest; mill/ is swapped for a link to a folder holding an index.html."""
    for path in sorted((site / "mill").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (site / "mill").rmdir()
    (site / "mill").symlink_to(outside, target_is_directory=True)
    text = survey_file.read_text(encoding="utf-8")
    for old, new in WITHOUT_MILL:
        text = text.replace(old, new)
    survey_file.write_text(text, encoding="utf-8")
    result = build(survey_file)
    assert refused(result, site / "mill"), result.output
    assert untouched(outside)


def test_stale_removal_does_not_delete_a_link_it_did_not_write_nor_its_target(site, survey_file, outside):
    stale = site / "mill" / "index.html"
    stale.unlink()
    stale.symlink_to(outside / "secret.txt")
    text = survey_file.read_text(encoding="utf-8")
    for old, new in WITHOUT_MILL:
        text = text.replace(old, new)
    survey_file.write_text(text, encoding="utf-8")
    result = build(survey_file)
    assert refused(result, stale), result.output
    assert untouched(outside) and stale.is_symlink()


def test_a_manifest_that_is_a_link_is_neither_read_nor_overwritten(site, survey_file, outside):
    manifest = site / ".wowcard-manifest.json"
    manifest.unlink()
    manifest.symlink_to(outside / "secret.txt")
    result = build(survey_file)
    assert refused(result, manifest), result.output
    assert untouched(outside)


def test_something_other_than_a_file_where_a_page_goes_is_refused_without_hanging(site, survey_file):
    page = site / "quay" / "index.html"
    page.unlink()
    os.mkfifo(page)  # opening a FIFO to write would wait for a reader forever
    result = build(survey_file)
    assert result.exit_code == 2, result.output
    assert "quay/index.html is not a regular file" in result.output


def test_a_link_outside_the_folder_it_writes_is_the_owners_business(survey_file, tmp_path):
    """Links above the output folder (a home folder on another disk, say) are followed: the owner set them."""
    real = tmp_path / "disk"
    real.mkdir()
    (tmp_path / "mounted").symlink_to(real, target_is_directory=True)
    result = build(survey_file, "--out", str(tmp_path / "mounted" / "site"))
    assert result.exit_code == 0, result.output
    assert (real / "site" / "harbour" / "quay" / "index.html").is_file()
