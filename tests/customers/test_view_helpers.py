"""Going back after an action: only to a page of ours, never to whatever was posted as `next`."""

import pytest

from customers.view_helpers import redirect_back


@pytest.mark.parametrize(
    "target",
    ["1e-30", "customers:list", "//evil.example/", "https://evil.example/", "javascript:alert(1)"],
)
def test_going_back_ignores_a_next_that_is_not_a_path_of_ours(rf, target):
    response = redirect_back(rf.post("/tasks/1/done/", {"next": target}), "/tasks/")
    assert response.url == "/tasks/"


def test_going_back_returns_to_the_page_the_action_was_taken_from(rf):
    response = redirect_back(rf.post("/tasks/1/done/", {"next": "/tasks/?page=2"}), "/tasks/")
    assert response.url == "/tasks/?page=2"
