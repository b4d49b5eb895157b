import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from customers.models import ContactPerson, Customer, Segment
from relationships.models import Interaction, Relationship


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-1")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            # get_or_create: transactional tests (browser, broker) flush the migrated groups.
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in extracted))
        if create:
            self.save()


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Segment {n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer as the app creates it: with an open (prospect) relationship."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    kind = Customer.Kind.ORGANISATION
    display_name = factory.Sequence(lambda n: f"Acme {n}")
    email = factory.Sequence(lambda n: f"office{n}@acme.example")
    phone = factory.Sequence(lambda n: f"+48 600 {n:06d}")
    source = Customer.Source.WEB_FORM
    first_contact_on = factory.LazyFunction(timezone.localdate)
    status = Customer.Status.PROSPECT
    relationship_kind = Relationship.Kind.LASTING

    @factory.post_generation
    def relationship(self, create, extracted, **kwargs):
        if create and extracted is not False:
            Relationship.objects.create(customer=self, started_on=self.first_contact_on)


class ContactPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPerson

    customer = factory.SubFactory(CustomerFactory)
    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Nowak{n}")
    email = factory.Sequence(lambda n: f"anna{n}@acme.example")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    channel = Interaction.Channel.CALL
    direction = Interaction.Direction.OUTBOUND
    subject = factory.Sequence(lambda n: f"Call {n}")
    occurred_at = factory.LazyFunction(timezone.now)
