"""The demo's calendar: its story is dated relative to the day the demo is loaded.

The story is one harvest in San Martín (deliveries April to September, the lots cupped and the
export lot loading by mid-October) and what follows: a Hamburg shipment loading, a pitahaya
shipment planned. Harvest events keep their month and day in the newest harvest that could
have reached loading by the load day, so seasons, lot codes and the mass balance look like a
real year; plans (loading, arrival) are set after the load day; agreements and certificates
are in force on it. A demo loaded in 2028 tells the same story as one loaded today.
"""

from dataclasses import dataclass
from datetime import date, timedelta

#: The day the export lot starts loading in the story; the harvest is over by then.
LOADING_STARTS = (10, 18)
#: Paita to Hamburg by sea, about five weeks.
VOYAGE = timedelta(days=35)


@dataclass(frozen=True)
class DemoCalendar:
    #: The day the demo is loaded (the cooperative's today).
    today: date
    #: The harvest the story tells (deliveries from April of this year).
    harvest_year: int

    def harvest(self, month: int, day: int, years_before: int = 0) -> date:
        """A day of the story, `years_before` harvests before the told one."""
        return date(self.harvest_year - years_before, month, day)

    def in_days(self, days: int) -> date:
        return self.today + timedelta(days=days)

    @property
    def agreements_valid_until(self) -> date:
        """Conservation agreements in force well after the load day."""
        return date(self.today.year + 1, 12, 31)

    @property
    def certificates_valid_until(self) -> date:
        """Organic certificates valid after the load day (annual, expiring in March)."""
        return date(self.today.year + 1, 3, 31)

    @property
    def planned_loading_on(self) -> date:
        return max(self.harvest(10, 20), self.in_days(3))

    @property
    def planned_arrival_on(self) -> date:
        return self.planned_loading_on + VOYAGE


def calendar_for(today: date) -> DemoCalendar:
    loading = date(today.year, *LOADING_STARTS)
    return DemoCalendar(today, today.year if today >= loading else today.year - 1)
