//! TILT mode: when the timer sees the clock go backwards or jump forward by more than
//! `tilt_trigger` (the process was stopped, the machine froze, the clock was changed), every
//! timeout the core computed is suspect. For `tilt_period` the core keeps monitoring (PING,
//! INFO, hello, replies are recorded) but does not act: no SDOWN/ODOWN changes, no failover,
//! no reconfiguration, and vote requests are answered "not down".

use super::events::{ch, TILT_ENTERED, TILT_EXITED};
use super::{Core, Level, Millis};

impl Core {
    /// Called first in every tick (Redis's `sentinelCheckTiltCondition`).
    pub(crate) fn check_tilt(&mut self, now: Millis) {
        let backwards = now < self.previous_time;
        let jump = now.saturating_sub(self.previous_time) > self.timers.tilt_trigger;
        if backwards || jump {
            self.tilt_since = Some(now);
            self.emit(None, Level::Warning, ch::TILT, TILT_ENTERED.to_string());
        }
        self.previous_time = now;
    }

    /// True when the acting half may run; leaves TILT when its period is over.
    pub(crate) fn acting(&mut self, now: Millis) -> bool {
        let Some(since) = self.tilt_since else {
            return true;
        };
        if now.saturating_sub(since) < self.timers.tilt_period {
            return false;
        }
        self.tilt_since = None;
        self.emit(None, Level::Warning, ch::TILT_OFF, TILT_EXITED.to_string());
        true
    }
}
