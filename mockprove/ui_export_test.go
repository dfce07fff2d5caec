package mockprove

import "time"

// SetUITiming sets the dashboard event stream's poll interval and heartbeat
// for streams opened from now on; the returned func restores them.
func SetUITiming(poll, heartbeat time.Duration) (restore func()) {
	oldPoll, oldBeat := uiPollInterval.Load(), uiHeartbeat.Load()
	uiPollInterval.Store(int64(poll))
	uiHeartbeat.Store(int64(heartbeat))
	return func() {
		uiPollInterval.Store(oldPoll)
		uiHeartbeat.Store(oldBeat)
	}
}
