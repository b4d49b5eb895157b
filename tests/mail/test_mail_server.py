"""The tests' mail server is a real one: what Django sends over SMTP arrives in an IMAP mailbox."""

import email

from django.core.mail import EmailMessage


def test_a_message_sent_over_smtp_arrives_in_the_recipients_imap_inbox(smtp_settings):
    server = smtp_settings
    recipient = server.new_address("anna")
    EmailMessage("Zażółć gęślą jaźń", "Dobrý den", "crm@example.test", [recipient]).send()

    [raw] = server.inbox(recipient)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == "Zażółć gęślą jaźń"
    assert message.get_content().strip() == "Dobrý den"
    assert server.inbox(server.new_address("nobody")) == []
