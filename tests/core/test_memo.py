from types import SimpleNamespace

from core.memo import ATTRIBUTE, per_object


def _counting():
    calls = []

    @per_object
    def doubled(obj, factor=2):
        calls.append((obj.n, factor))
        return obj.n * factor

    return doubled, calls


def test_a_value_is_computed_once_per_object_and_arguments():
    doubled, calls = _counting()
    first, second = SimpleNamespace(n=1), SimpleNamespace(n=5)

    assert [doubled(first), doubled(first), doubled(second), doubled(first, 3)] == [2, 2, 10, 3]
    assert doubled(first, 3) == 3
    assert calls == [(1, 2), (5, 2), (1, 3)]


def test_every_value_lives_under_one_attribute_of_the_object():
    doubled, _calls = _counting()
    tripled, _other_calls = _counting()
    obj = SimpleNamespace(n=2)

    doubled(obj)
    tripled(obj, 3)

    assert set(vars(obj)) == {"n", ATTRIBUTE}
    assert sorted(getattr(obj, ATTRIBUTE).values()) == [4, 6]


def test_a_value_of_none_is_remembered_too():
    calls = []

    @per_object
    def nothing(obj):
        calls.append(obj)

    obj = SimpleNamespace()
    assert nothing(obj) is None and nothing(obj) is None
    assert len(calls) == 1
