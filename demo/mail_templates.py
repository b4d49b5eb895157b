# ruff: noqa: RUF001  (Russian texts: Cyrillic letters on purpose)
"""E-mail templates the demo starts with: a payment reminder, a ticket update and a follow-up, each
written in English, Polish, Czech and Russian (mail.MailTemplate; variables per mail.rendering)."""

from mail.models import MailTemplate

P = MailTemplate.Purpose

TEMPLATES = {
    ("Payment reminder", P.COLLECTION): {
        "en": (
            "Payment reminder: invoice {{ invoice.number }}",
            "Dear {{ contact.first_name|default:customer.name }},\n\n"
            "our records show that invoice {{ invoice.number }}, due on {{ invoice.due_on }}, "
            "still has {{ invoice.balance }} to pay. If you have already paid, please ignore "
            "this message; otherwise we would be grateful for payment within seven days.\n\n"
            "Kind regards,\n{{ sender.name }}",
        ),
        "pl": (
            "Przypomnienie o płatności: faktura {{ invoice.number }}",
            "Szanowni Państwo,\n\n"
            "według naszych danych faktura {{ invoice.number }} z terminem płatności "
            "{{ invoice.due_on }} ma jeszcze do zapłaty {{ invoice.balance }}. Jeśli płatność "
            "została już zlecona, prosimy zignorować tę wiadomość; w przeciwnym razie prosimy "
            "o wpłatę w ciągu siedmiu dni.\n\n"
            "Z poważaniem\n{{ sender.name }}",
        ),
        "cs": (
            "Upomínka platby: faktura {{ invoice.number }}",
            "Vážení,\n\n"
            "podle našich záznamů zbývá na faktuře {{ invoice.number }} se splatností "
            "{{ invoice.due_on }} uhradit {{ invoice.balance }}. Pokud jste již zaplatili, "
            "považujte prosím tuto zprávu za bezpředmětnou; jinak vás prosíme o úhradu do "
            "sedmi dnů.\n\n"
            "S pozdravem\n{{ sender.name }}",
        ),
        "ru": (
            "Напоминание об оплате: счёт {{ invoice.number }}",
            "Здравствуйте!\n\n"
            "По нашим данным, по счёту {{ invoice.number }} со сроком оплаты "
            "{{ invoice.due_on }} осталось оплатить {{ invoice.balance }}. Если вы уже "
            "оплатили счёт, просто проигнорируйте это письмо; в противном случае просим "
            "произвести оплату в течение семи дней.\n\n"
            "С уважением,\n{{ sender.name }}",
        ),
    },
    ("Ticket update", P.TICKET): {
        "en": (
            "Your request #{{ ticket.number }}: {{ ticket.title }}",
            "Hello {{ contact.first_name }},\n\n"
            "here is an update on your request “{{ ticket.title }}”: it is now at the stage "
            "“{{ ticket.stage }}”. We aim to resolve it by {{ ticket.deadline }}.\n\n"
            "Reply to this e-mail if there is anything you would like to add.\n\n"
            "Best regards,\n{{ sender.name }}",
        ),
        "pl": (
            "Twoje zgłoszenie nr {{ ticket.number }}: {{ ticket.title }}",
            "Dzień dobry {{ contact.first_name }},\n\n"
            "informujemy o postępach w zgłoszeniu „{{ ticket.title }}”: jest teraz na etapie "
            "„{{ ticket.stage }}”. Planujemy je rozwiązać do {{ ticket.deadline }}.\n\n"
            "Jeśli chcą Państwo coś dodać, wystarczy odpowiedzieć na tę wiadomość.\n\n"
            "Pozdrawiamy\n{{ sender.name }}",
        ),
        "cs": (
            "Váš požadavek č. {{ ticket.number }}: {{ ticket.title }}",
            "Dobrý den, {{ contact.first_name }},\n\n"
            "posíláme informaci o vašem požadavku „{{ ticket.title }}“: nyní je ve fázi "
            "„{{ ticket.stage }}“. Vyřešit jej plánujeme do {{ ticket.deadline }}.\n\n"
            "Pokud chcete něco doplnit, stačí odpovědět na tento e-mail.\n\n"
            "S pozdravem\n{{ sender.name }}",
        ),
        "ru": (
            "Ваше обращение № {{ ticket.number }}: {{ ticket.title }}",
            "Здравствуйте, {{ contact.first_name }}!\n\n"
            "Сообщаем о ходе работы по вашему обращению «{{ ticket.title }}»: сейчас оно на "
            "этапе «{{ ticket.stage }}». Мы планируем решить его до {{ ticket.deadline }}.\n\n"
            "Если хотите что-то добавить, просто ответьте на это письмо.\n\n"
            "С уважением,\n{{ sender.name }}",
        ),
    },
    ("Follow-up", P.CUSTOMER): {
        "en": (
            "Following up on our conversation",
            "Hello {{ contact.first_name }},\n\n"
            "thank you for your time. As promised, I am following up on our conversation "
            "about {{ customer.name }} and what comes next. Please let me know when would suit "
            "you for a next step.\n\n"
            "Best regards,\n{{ sender.name }}\n{{ sender.email }}",
        ),
        "pl": (
            "Nawiązując do naszej rozmowy",
            "Dzień dobry {{ contact.first_name }},\n\n"
            "dziękuję za poświęcony czas. Zgodnie z obietnicą wracam do naszej rozmowy "
            "dotyczącej firmy {{ customer.name }} i dalszych kroków. Proszę dać znać, jaki "
            "termin kolejnego spotkania będzie dla Państwa dogodny.\n\n"
            "Pozdrawiam\n{{ sender.name }}\n{{ sender.email }}",
        ),
        "cs": (
            "Navazuji na náš rozhovor",
            "Dobrý den, {{ contact.first_name }},\n\n"
            "děkuji za váš čas. Jak jsem slíbil, navazuji na náš rozhovor o společnosti "
            "{{ customer.name }} a dalším postupu. Dejte mi prosím vědět, kdy by se vám hodil "
            "další krok.\n\n"
            "S pozdravem\n{{ sender.name }}\n{{ sender.email }}",
        ),
        "ru": (
            "По итогам нашего разговора",
            "Здравствуйте, {{ contact.first_name }}!\n\n"
            "Спасибо, что уделили время. Как и обещал, возвращаюсь к нашему разговору о "
            "компании {{ customer.name }} и дальнейших шагах. Пожалуйста, сообщите, когда вам "
            "будет удобно обсудить следующий шаг.\n\n"
            "С уважением,\n{{ sender.name }}\n{{ sender.email }}",
        ),
    },
}


def seed_mail_templates(*, by=None) -> int:
    """Create the templates that do not exist yet (by name and language); how many were made."""
    made = 0
    for (name, purpose), languages in TEMPLATES.items():
        for language, (subject, body) in languages.items():
            template, created = MailTemplate.objects.get_or_create(
                name=name,
                language=language,
                defaults={"purpose": purpose, "subject": subject, "body": body, "created_by": by},
            )
            if created:
                template.full_clean()
                made += 1
    return made
