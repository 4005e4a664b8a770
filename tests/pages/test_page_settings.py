"""The page settings (HubExtras traits): a mistake gets a clear error when the hub starts, not a broken page."""

import pytest
from traitlets import TraitError

from hubextras.config import HubExtras


@pytest.mark.parametrize(
    "entry",
    [{"question": "Who can log in?"}, {"answer": "Members."}, {"question": " ", "answer": "Members."}, {"q": "x"}],
)
def test_faq_entry_without_question_or_answer_is_refused_with_an_example(entry):
    with pytest.raises(TraitError) as refused:
        HubExtras(faq=[{"question": "Fine?", "answer": "Yes."}, entry])
    assert "HubExtras.faq entry 2" in str(refused.value)
    assert 'needs a non-empty "question" and "answer"' in str(refused.value)


@pytest.mark.parametrize(
    "path", ["/lab", "../lab", "lab/../../hub/admin", "//evil.example", "https://evil.example", ""]
)
def test_interface_path_outside_the_users_server_is_refused(path):
    with pytest.raises(TraitError) as refused:
        HubExtras(login_interfaces={"JupyterLab": path})
    assert f"HubExtras.login_interfaces['JupyterLab'] is {path!r}" in str(refused.value)
    assert 'for example "lab", "tree" or "rstudio"' in str(refused.value)


def test_interface_without_a_label_is_refused():
    with pytest.raises(TraitError) as refused:
        HubExtras(login_interfaces={"": "lab"})
    assert "empty label" in str(refused.value)


@pytest.mark.parametrize("path", ["lab", "tree", "rstudio", "lab/tree/welcome.ipynb", "voila/render/intro.ipynb"])
def test_interface_paths_inside_the_users_server_are_kept_as_given(path):
    assert HubExtras(login_interfaces={"Interface": path}).template_vars()["hubextras"]["login_interfaces"] == {
        "Interface": path
    }


def test_page_settings_reach_the_templates_unchanged():
    faq = [{"question": "Who?", "answer": "<b>Members</b>"}]
    extras = HubExtras(faq=faq, announcements=["<i>Soon</i>"], operated_by="<a href='/x'>Ops</a>")
    page_vars = extras.template_vars()["hubextras"]
    assert (page_vars["faq"], page_vars["announcements"], page_vars["operated_by"]) == (
        faq,
        ["<i>Soon</i>"],
        "<a href='/x'>Ops</a>",
    )


def test_hub_with_a_broken_faq_stops_at_start_and_says_why(hub_factory):
    with pytest.raises(RuntimeError) as failed:
        hub_factory(pre_config='c.HubExtras.faq = [{"question": "Who can log in?"}]')
    assert "jupyterhub exited" in str(failed.value)
    assert "HubExtras.faq entry 1 is {'question': 'Who can log in?'}: each entry needs a non-empty \"question\"" in str(
        failed.value
    )
