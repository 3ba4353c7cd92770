"""Long posts (forum and GitHub questions) are read by their parts: a quoted message is answered,
a post about device management with no confident answer gets three entries to choose from, and a
post about something else is still declined. The posts here are written for these tests."""

from __future__ import annotations

from knowledge import Matcher
from knowledge.text import salient_parts

LOST_MODE = -2016330857  # 0x87D13B97 "Can't install apps when device is in Lost Mode."
NOT_DETECTED = -2016345060  # 0x87D1041C

QUOTED_LOST_MODE = (
    "Since Monday our field team has been stuck. Several of them got new iPads from the reseller last week and we "
    "pushed the usual apps from Intune. On two of the iPads the install status in the portal now reads \"Can't "
    "install apps when device is in Lost Mode.\" and nothing moves. We never put them in that mode on purpose as "
    "far as I know. What should the helpdesk do?"
)
QUOTED_NOT_DETECTED = (
    "Our rollout to the sales team went fine until this week. Three managers enrolled their new Windows laptops "
    "through Autopilot and everything looked normal during setup, then the Company Portal on one laptop showed a "
    "popup with \u201cThe application was not detected after installation completed successfully.\u201d for the CRM "
    "app we package as Win32. The other two are fine. Is there something wrong with the package?"
)
OUTLOOK_STORY = (
    "Hello, my Outlook keeps asking for my password every few minutes since the last Office update. I type the "
    "correct password and the dialog box comes back right away. It happens on my home laptop and at the office. "
    "Restarting did not help and clearing the credential manager did not help either. Any idea how to fix this?"
)


def test_parts_are_quoted_messages_then_asking_sentences_then_the_title() -> None:
    parts = salient_parts(QUOTED_LOST_MODE)
    assert [p.kind for p in parts] == ["quote", "question", "title"]
    assert parts[0].text == "Can't install apps when device is in Lost Mode."
    assert parts[1].text == "What should the helpdesk do?"
    assert parts[2].text == "Since Monday our field team has been stuck."


def test_a_one_sentence_question_has_no_parts() -> None:
    assert salient_parts("why is the wipe action greyed out for my android work profile device") == []


def test_apostrophes_are_not_quotes() -> None:
    kinds = [p.kind for p in salient_parts("It's broken. I can't enroll and it doesn't say why. Help?")]
    assert "quote" not in kinds


def test_a_message_quoted_in_a_long_story_is_answered(matcher: Matcher) -> None:
    result = matcher.lookup(QUOTED_LOST_MODE)
    assert [m.entry.code for m in result.matches] == [LOST_MODE]
    assert {m.entry.code for m in matcher.lookup(QUOTED_NOT_DETECTED).matches} == {NOT_DETECTED}


def test_the_story_alone_does_not_answer_it(matcher: Matcher) -> None:
    """Without the quote, the same story is not a confident answer: the quote is what decides."""
    story = QUOTED_LOST_MODE.replace("\"Can't install apps when device is in Lost Mode.\"", "an error")
    assert not any(m.entry.code == LOST_MODE for m in matcher.lookup(story).matches)


def test_a_long_device_management_question_gets_three_entries_instead_of_silence(matcher: Matcher) -> None:
    post = ("Our documentation for the helpdesk does not cover this yet. When a Windows 10 laptop is handed back "
            "we retire it in Intune before it goes to the next person. The previous owner had several line of "
            "business apps that we had deployed to her. Are those apps taken off the laptop by the retire, or do "
            "we have to remove them by hand?")
    result = matcher.lookup(post)
    assert not result.matches
    ids = [m.id for m in result.suggestions]
    assert 1 <= len(ids) <= 3 and "retire-app-not-removed" in ids


def test_a_long_post_that_names_no_device_management_gets_no_low_floor_offer(matcher: Matcher) -> None:
    """Its sentences share words with entries (sign in, sync error, password), not the topic."""
    post = ("Cannot log in to the mail client after changing my password. Steps: sign in to the mailbox from the "
            "desktop client, change the password on the website, reopen the client and wait until it shows a sync "
            "error. Typing the new password then fails every time.")
    result = matcher.lookup(post)
    assert (result.matches, result.suggestions) == ((), ())


def test_a_long_post_about_something_else_is_still_declined(matcher: Matcher) -> None:
    result = matcher.lookup(OUTLOOK_STORY)
    assert (result.matches, result.suggestions) == ((), ())


def test_a_message_told_without_quotes_is_a_part() -> None:
    post = ("Our new hire cannot enroll his iPhone. The Company Portal says his account is not licensed or could not "
            "be found, but he has an E3 license assigned since Monday. Do we need something else?")
    parts = salient_parts(post)
    assert parts[0].kind == "reported"
    assert parts[0].text.startswith("his account is not licensed or could not be found")


def test_a_told_message_in_a_long_post_is_offered_first(matcher: Matcher) -> None:
    post = ("Our new hire cannot enroll his iPhone. The Company Portal says his account is not licensed or could not "
            "be found, but he has an E3 license assigned since Monday. Do we need something else?")
    result = matcher.lookup(post)
    assert not result.matches
    assert [m.id for m in result.suggestions][:1] == ["user-not-found-or-licensed"]


def test_an_entry_of_another_platform_is_not_the_answer_for_the_platform_asked_about(matcher: Matcher) -> None:
    """0x80180013's message (too many devices) is a Windows enrollment value: not the answer for an Android phone."""
    post = ("A user tries to enroll her Android phone in the Company Portal and gets an error saying she has "
            "enrolled too many devices. She only has one phone and a laptop. What is going on?")
    result = matcher.lookup(post)
    assert not result.matches
    assert result.suggestions and result.suggestions[0].id != str(-2145910765)
