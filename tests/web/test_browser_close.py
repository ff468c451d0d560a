"""Closing the challenge and revealing its private board in a real browser, on a site of its
own: it ends the challenge, so no other page test may share it."""

from __future__ import annotations

from playwright.sync_api import Browser, expect
from web.browser import Visitor

from live import CHALLENGE, Site

TEAM = "김씨네 AI"


def test_organizer_closes_and_reveals_the_private_board_and_the_participant_sees_it(
    browser: Browser, site: Site, kim: Visitor, kim_scored: str
) -> None:
    kim.open(f"/challenges/{CHALLENGE}/leaderboard?board=private", status=404)
    org = Visitor(browser, site, "org")
    try:
        org.sign_in()
        org.page.get_by_role("link", name="운영자").click()
        org.check("organizer")
        org.open(f"/organizer/challenges/{CHALLENGE}/teams", "organizer-teams")
        expect(org.page.locator("tbody")).to_contain_text(TEAM)
        org.open("/organizer")
        reveal = org.page.get_by_role("button", name=f"비공개 리더보드 공개 ({CHALLENGE})")
        expect(reveal).to_have_count(0)  # not while submissions are open
        org.page.get_by_role("button", name=f"제출 마감 ({CHALLENGE})").click()  # confirm: yes
        expect(org.page.locator(".notice")).to_contain_text("제출을 마감했습니다")
        org.check("organizer-closed")
        reveal.click()
        expect(org.page.locator(".notice")).to_contain_text("비공개 리더보드를 공개했습니다")
        org.check()
    finally:
        org.close()
    kim.open(f"/challenges/{CHALLENGE}/leaderboard")
    kim.page.get_by_role("link", name="비공개(최종) 리더보드").click()
    expect(kim.page.get_by_role("heading", name="비공개(최종) 리더보드")).to_be_visible()
    expect(kim.page.locator("table.board tbody tr", has_text=TEAM)).to_have_count(1)
    kim.check("leaderboard-private")
