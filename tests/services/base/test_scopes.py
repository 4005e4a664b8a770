"""Scope names in one module; `allows` decides filtered scopes as the hub does (jupyterhub.scopes)."""

from hubextras.scopes import access_scope, allows


def test_access_scope_names_the_service():
    assert access_scope("servers-panel") == "access:services!service=servers-panel"


def test_an_unfiltered_scope_allows_every_server():
    assert allows({"servers"}, ["servers"], user="ada", server="x")


def test_a_user_filter_allows_that_users_servers_only():
    assert allows({"servers!user=ada"}, ["servers"], user="ada", server="x")
    assert not allows({"servers!user=ada"}, ["servers"], user="adam")


def test_a_server_filter_allows_that_server_only():
    assert allows({"servers!server=ada/x"}, ["servers"], user="ada", server="x")
    assert not allows({"servers!server=ada/x"}, ["servers"], user="ada", server="")


def test_a_group_filter_allows_members_of_the_group():
    assert allows({"servers!group=students"}, ["servers"], user="ada", groups=["students"])
    assert not allows({"servers!group=students"}, ["servers"], user="ada", groups=["staff"])


def test_another_scope_allows_nothing():
    assert not allows({"read:servers"}, ["servers", "admin:servers"], user="ada")
