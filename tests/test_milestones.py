"""Milestones: once per content item, ascending, at the exact moment the threshold is reached."""

from __future__ import annotations

import math

import pytest
from conftest import T0, SessionFactory, events, props, watch

from vtrack import Content
from vtrack.testing.timeline import epoch_seconds as epoch


def milestones(sink: object) -> list[tuple[str, float, int]]:
    """(event, seconds after T0, position) of every milestone message."""
    return [
        (m["event"], round(epoch(m) - T0, 3), m["properties"]["position"])
        for m in sink.messages  # type: ignore[attr-defined]
        if m["event"].endswith("% Content Completed")
    ]


class TestPositionBasis:
    def test_exact_moment_and_position_without_heartbeats(
        self, make_session: SessionFactory
    ) -> None:
        """Milestones fire at the interpolated moment, with heartbeats off too."""
        session, sink = make_session(heartbeat=0)
        watch(session, Content(asset_id="c", duration=37.0))
        session.advance(T0 + 40)
        assert [
            ("25% Content Completed", 9.25, 9),
            ("50% Content Completed", 18.5, 18),
            ("75% Content Completed", 27.75, 27),
            ("90% Content Completed", 33.3, 33),
        ] == milestones(sink)
        assert [25, 50, 75, 90] == [
            m["properties"]["milestone"] for m in sink.messages if "milestone" in m["properties"]
        ]

    def test_not_delayed_to_the_next_heartbeat(self, make_session: SessionFactory) -> None:
        """With 60 s heartbeats the 25 % milestone of 100 s content still comes at 25 s."""
        session, sink = make_session(heartbeat=60)
        watch(session)
        session.advance(T0 + 30)
        assert [("25% Content Completed", 25.0, 25)] == milestones(sink)

    def test_seek_forward_fires_skipped_milestones_in_order(
        self, make_session: SessionFactory
    ) -> None:
        """Seeking from 10 to 80 while playing: 25, 50, 75 fire once playback resumes there."""
        session, sink = make_session(heartbeat=0)
        watch(session)
        session.seeking(80.0, at=T0 + 10)
        session.seeked(at=T0 + 11)
        names = events(sink)
        assert names[names.index("Video Playback Seek Completed") + 1 :] == [
            "25% Content Completed",
            "50% Content Completed",
            "75% Content Completed",
        ]
        assert [25, 50, 75] == [p for _, _, p in milestones(sink)]

    def test_seek_while_paused_fires_when_playback_resumes(
        self, make_session: SessionFactory
    ) -> None:
        """Paused, seek to 60: 25 and 50 wait until playback resumes."""
        session, sink = make_session(heartbeat=0)
        watch(session)
        session.pause(at=T0 + 5)
        session.seeking(60.0, at=T0 + 6)
        session.seeked(at=T0 + 7)
        assert [] == milestones(sink)
        session.play(at=T0 + 20)
        assert [("25% Content Completed", 20.0, 25), ("50% Content Completed", 20.0, 50)] == (
            milestones(sink)
        )

    def test_a_seek_storm_counts_only_where_it_lands(self, make_session: SessionFactory) -> None:
        """Positions passed through while seeking do not count."""
        session, sink = make_session(heartbeat=0)
        watch(session)
        session.seeking(95.0, at=T0 + 2)
        session.seeking(60.0, at=T0 + 2.2)
        session.seeking(10.0, at=T0 + 2.4)
        session.seeked(at=T0 + 3)
        assert [] == milestones(sink)

    def test_once_per_content_per_session(self, make_session: SessionFactory) -> None:
        """Seeking back and playing through again fires nothing twice."""
        session, sink = make_session(heartbeat=0)
        watch(session)
        session.advance(T0 + 30)
        session.seeking(0.0, at=T0 + 30)
        session.seeked(at=T0 + 30)
        session.advance(T0 + 60)  # 0 -> 30 again
        assert ["25% Content Completed"] == [e for e, _, _ in milestones(sink)]

    def test_report_ahead_of_interpolation(self, make_session: SessionFactory) -> None:
        """A report slightly ahead fires the milestone at the interpolated crossing moment."""
        session, sink = make_session(heartbeat=0)
        watch(session)
        session.timeupdate(24.0, at=T0 + 24)
        session.timeupdate(26.0, at=T0 + 24.8)  # the player ran 2 s in 0.8 s
        assert [("25% Content Completed", 24.4, 25)] == milestones(sink)

    def test_bookmark_start_fires_passed_milestones(self, make_session: SessionFactory) -> None:
        """Starting at 55 % (a bookmark) reaches 25 and 50 % by position."""
        session, sink = make_session(heartbeat=0)
        watch(session, position=55.0)
        assert [25, 50] == [p for _, _, p in milestones(sink)]
        names = events(sink)
        assert names.index("Video Content Started") < names.index("25% Content Completed")


class TestPlayedBasis:
    def test_seeking_over_a_milestone_never_fires_it(self, make_session: SessionFactory) -> None:
        """Only thresholds crossed by continuous playback count."""
        session, sink = make_session(heartbeat=0, milestone_basis="played")
        watch(session)
        session.seeking(60.0, at=T0 + 10)
        session.seeked(at=T0 + 10)
        session.advance(T0 + 40)  # plays 60 -> 90: crosses 75 and 90
        assert [("75% Content Completed", 25.0, 75), ("90% Content Completed", 40.0, 90)] == (
            milestones(sink)
        )

    def test_bookmark_past_a_milestone(self, make_session: SessionFactory) -> None:
        """Starting from 30 s never fires 25 %."""
        session, sink = make_session(heartbeat=0, milestone_basis="played")
        watch(session, position=30.0)
        session.advance(T0 + 25)
        assert [("50% Content Completed", 20.0, 50)] == milestones(sink)

    def test_lower_milestones_retire_once_a_higher_one_fired(
        self, make_session: SessionFactory
    ) -> None:
        """Ascending order holds: 25 % is not fired after 75 % was."""
        session, sink = make_session(heartbeat=0, milestone_basis="played", milestones=(25, 75))
        watch(session)
        session.seeking(70.0, at=T0 + 1)
        session.seeked(at=T0 + 1)
        session.advance(T0 + 7)
        session.seeking(20.0, at=T0 + 7)
        session.seeked(at=T0 + 7)
        session.advance(T0 + 20)
        assert ["75% Content Completed"] == [e for e, _, _ in milestones(sink)]


class TestWatchedBasis:
    def test_unique_seconds_played(self, make_session: SessionFactory) -> None:
        """Re-watching the same 20 s does not count twice."""
        session, sink = make_session(heartbeat=0, milestone_basis="watched", milestones=(25, 30))
        watch(session)
        session.advance(T0 + 20)  # watched [0, 20]
        session.seeking(0.0, at=T0 + 20)
        session.seeked(at=T0 + 20)
        session.advance(T0 + 40)  # [0, 20] again, then nothing new
        assert [] == milestones(sink)
        session.advance(T0 + 45)  # [20, 25]: 25 s watched
        assert [("25% Content Completed", 45.0, 25)] == milestones(sink)

    def test_scattered_viewing_adds_up(self, make_session: SessionFactory) -> None:
        """Three 10 s stretches in different places make 30 % of 100 s."""
        session, sink = make_session(heartbeat=0, milestone_basis="watched", milestones=(30,))
        watch(session)
        for begin, target in [(10, 50.0), (20, 80.0)]:
            session.seeking(target, at=T0 + begin)
            session.seeked(at=T0 + begin)
        session.advance(T0 + 31)
        assert [("30% Content Completed", 30.0, 30)] == milestones(sink)


class TestUnknownLengths:
    def test_live_content(self, make_session: SessionFactory) -> None:
        """Live: heartbeats only, livestream true, no total_length, no milestones."""
        session, sink = make_session(heartbeat=10)
        watch(session, Content(asset_id="tv", live=True, duration=3600.0))
        session.advance(T0 + 3600)
        assert [] == milestones(sink)
        playing = props(sink, "Video Content Playing")[0]
        assert playing["livestream"] is True
        assert "total_length" not in playing
        assert "total_length" not in props(sink, "Video Playback Started")[0]

    @pytest.mark.parametrize("duration", [None, math.inf, 0.0])
    def test_unknown_duration(self, make_session: SessionFactory, duration: float | None) -> None:
        """No usable duration: no milestones, no total_length, and not called live."""
        session, sink = make_session(heartbeat=10)
        watch(session, Content(asset_id="x", duration=duration))
        session.advance(T0 + 500)
        assert [] == milestones(sink)
        playing = props(sink, "Video Content Playing")[0]
        assert "total_length" not in playing and "livestream" not in playing

    def test_duration_learned_later_arms_milestones(self, make_session: SessionFactory) -> None:
        """durationchange makes milestones possible; passed ones fire at once."""
        session, sink = make_session(heartbeat=0)
        watch(session, Content(asset_id="x"))
        session.durationchange(40.0, at=T0 + 15)
        assert [("25% Content Completed", 15.0, 10)] == milestones(sink)
        session.advance(T0 + 21)
        assert ["25% Content Completed", "50% Content Completed"] == [
            e for e, _, _ in milestones(sink)
        ]

    def test_a_changed_duration_never_fires_twice(self, make_session: SessionFactory) -> None:
        """After 25 % of 40 s fired, growing the duration to 200 s does not fire 25 % again."""
        session, sink = make_session(heartbeat=0)
        watch(session, Content(asset_id="x", duration=40.0))
        session.advance(T0 + 12)
        session.durationchange(200.0, at=T0 + 12)
        session.advance(T0 + 101)
        assert [("25% Content Completed", 10.0, 10), ("50% Content Completed", 100.0, 100)] == (
            milestones(sink)
        )


class TestOnceOnly:
    def test_a_report_ahead_then_behind_does_not_fire_it_again(
        self, make_session: SessionFactory
    ) -> None:
        """A report 1.5 s ahead fires 25 %; one 1 s behind it, then ahead again, must not
        fire it a second time (found by vtrack.testing's hostile strategies: reordering)."""
        session, sink = make_session(heartbeat=0)
        watch(session, Content(asset_id="c", duration=100.0))
        for second in range(1, 24):
            session.timeupdate(float(second), at=T0 + second)
        session.timeupdate(25.5, at=T0 + 24)
        session.timeupdate(24.5, at=T0 + 25)
        session.timeupdate(26.5, at=T0 + 26)
        session.timeupdate(30.0, at=T0 + 29.5)
        assert [("25% Content Completed", 23.8, 25)] == milestones(sink)


class TestPlaylists:
    def test_each_content_item_has_its_own_milestones(self, make_session: SessionFactory) -> None:
        """The next playlist item starts its milestones afresh; an item seen again does not."""
        session, sink = make_session(heartbeat=0, milestones=(50,))
        first = Content(asset_id="a", duration=10.0, playlist=("a", "b", "a"))
        second = Content(asset_id="b", duration=10.0)
        session.load(first, at=T0)
        session.play(at=T0)
        session.playing(0.0, at=T0)
        session.ended(at=T0 + 10)
        session.load(second, at=T0 + 10)
        session.playing(0.0, at=T0 + 10)
        session.ended(at=T0 + 20)
        session.load(first, at=T0 + 20)
        session.playing(0.0, at=T0 + 20)
        session.ended(at=T0 + 30)
        assert [("a", 5.0), ("b", 15.0)] == [
            (m["properties"]["asset_id"], round(epoch(m) - T0, 3))
            for m in sink.messages
            if m["event"] == "50% Content Completed"
        ]
        assert 3 == events(sink).count("Video Content Started")
        assert "Video Playback Completed" == events(sink)[-1]


class TestPlayedBasisLearningTheDuration:
    def test_thresholds_played_through_before_the_duration_was_known(
        self, make_session: SessionFactory
    ) -> None:
        """Played from 0 with no duration; at 30 s it becomes 100 s: 25 % fires at once."""
        session, sink = make_session(heartbeat=0, milestone_basis="played")
        watch(session, Content(asset_id="x"))
        session.durationchange(100.0, at=T0 + 30)
        assert [("25% Content Completed", 30.0, 25)] == milestones(sink)

    def test_but_not_those_a_seek_skipped(self, make_session: SessionFactory) -> None:
        """A seek past 25 % before the duration is known still never counts it."""
        session, sink = make_session(heartbeat=0, milestone_basis="played")
        watch(session, Content(asset_id="x"))
        session.seeking(40.0, at=T0 + 5)
        session.seeked(at=T0 + 5)
        session.durationchange(100.0, at=T0 + 10)
        assert [] == milestones(sink)


class TestTheEnd:
    @pytest.mark.parametrize("profile", ["segment", "vimeo-ott"])
    def test_ended_after_a_seek_to_the_last_second_fires_every_milestone_first(
        self, make_session: SessionFactory, profile: str
    ) -> None:
        """Position basis: a seek to the last second then ended fires every milestone, then ends."""
        session, sink = make_session(heartbeat=0, profile=profile)
        watch(session, Content(asset_id="c", duration=60.0))
        session.seeking(59.0, at=T0 + 2)
        session.ended(at=T0 + 2.1)
        names = events(sink)
        if profile == "vimeo-ott":  # its 90 % milestone is named Video Content Completed
            expected = [f"{p}% Content Completed" for p in (25, 50, 75)]
            expected.append("Video Content Completed")
            end = "Video Content Ended"
        else:
            expected = [f"{p}% Content Completed" for p in (25, 50, 75, 90)]
            end = "Video Content Completed"
        fired = [name for name in names if name in expected]
        assert (expected, True) == (fired, names.index(expected[-1]) < names.index(end))

    def test_ended_with_a_stale_position_fires_the_rest_at_the_end(
        self, make_session: SessionFactory
    ) -> None:
        """Position basis: an ended whose last report was stale fires what is left at its time."""
        session, sink = make_session(heartbeat=0)
        watch(session, Content(asset_id="c", duration=100.0))
        session.pause(at=T0 + 30)  # 25 % fired at 25 s; the playhead stays at 30
        session.ended(at=T0 + 31)
        expected = [
            ("25% Content Completed", 25.0, 25),
            ("50% Content Completed", 31.0, 50),
            ("75% Content Completed", 31.0, 75),
            ("90% Content Completed", 31.0, 90),
        ]
        assert expected == milestones(sink)

    @pytest.mark.parametrize("basis", ["played", "watched"])
    def test_ended_plays_nothing_on_the_played_bases(
        self, make_session: SessionFactory, basis: str
    ) -> None:
        """Played and watched bases: an ended after a seek to the end fires nothing new."""
        session, sink = make_session(heartbeat=0, milestone_basis=basis)
        watch(session, Content(asset_id="c", duration=60.0))
        session.seeking(59.0, at=T0 + 2)
        session.ended(at=T0 + 2.1)
        assert [] == milestones(sink)


class TestPlayedBoundary:
    @pytest.mark.parametrize(
        ("landing", "expected"), [(44.999, [45, 54]), (45.0, [45, 54]), (45.001, [54])]
    )
    def test_a_stretch_starting_on_the_threshold_plays_it(
        self, make_session: SessionFactory, landing: float, expected: list[int]
    ) -> None:
        """Played basis: a seek landing on 45.000 of 60 s, then playing, plays 75 % (at 45)."""
        session, sink = make_session(heartbeat=0, milestone_basis="played")
        watch(session, Content(asset_id="c", duration=60.0))
        session.seeking(landing, at=T0 + 5)
        session.seeked(at=T0 + 5.2)
        session.playing(at=T0 + 5.3)
        session.advance(T0 + 30)
        assert expected == [position for _, _, position in milestones(sink)]

    def test_landing_on_the_threshold_while_paused_plays_nothing_yet(
        self, make_session: SessionFactory
    ) -> None:
        """Played basis: landing on 45.000 paused fires 75 % only once playback resumes."""
        session, sink = make_session(heartbeat=0, milestone_basis="played")
        watch(session, Content(asset_id="c", duration=60.0))
        session.pause(at=T0 + 5)
        session.seeking(45.0, at=T0 + 6)
        session.seeked(at=T0 + 6.5)
        session.advance(T0 + 20)
        before = milestones(sink)
        session.play(at=T0 + 20)
        session.advance(T0 + 20.5)
        assert ([], [("75% Content Completed", 20.0, 45)]) == (before, milestones(sink))
