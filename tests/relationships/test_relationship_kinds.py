"""The customer's copy of its relationship's kind (`Customer.relationship_kind`) has the
relationship's codes and labels: lists and exports show it by Customer.RelationshipKind."""

from customers.models import Customer
from relationships.models import Relationship


def test_the_customers_relationship_kinds_are_the_relationships_kinds():
    assert Customer.RelationshipKind.choices == Relationship.Kind.choices
