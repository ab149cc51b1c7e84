package carrier

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	linkLabels    = []string{"link", "carrier", "protocol"}
	linkSessions  = prometheus.NewDesc("taxsms_link_sessions", "Sessions configured for a link.", linkLabels, nil)
	linkConnected = prometheus.NewDesc("taxsms_link_connected", "Sessions of a link logged in now.", linkLabels, nil)
	linkInFlight  = prometheus.NewDesc("taxsms_link_window_in_use", "Submits awaiting their answer on a link.", linkLabels, nil)
	linkWindow    = prometheus.NewDesc("taxsms_link_window", "Window capacity of a link's sessions that are up.", linkLabels, nil)
	linkSubmits   = prometheus.NewDesc("taxsms_link_submits_total", "Messages a link sent whole.", linkLabels, nil)
	linkSegments  = prometheus.NewDesc("taxsms_link_segments_total", "Segments a link's carrier accepted.", linkLabels, nil)
	linkThrottled = prometheus.NewDesc("taxsms_link_throttled_total", "Throttle answers on a link.", linkLabels, nil)
	linkErrors    = prometheus.NewDesc("taxsms_link_errors_total", "Failed logins and submits on a link.", linkLabels, nil)
	linkDrops     = prometheus.NewDesc("taxsms_link_drops_total", "Sessions of a link lost after login.", linkLabels, nil)
	linkReceipts  = prometheus.NewDesc("taxsms_link_receipts_total", "Status reports a link received and stored.", linkLabels, nil)
	linkMO        = prometheus.NewDesc("taxsms_link_mo_total", "MO PDUs a link received and stored.", linkLabels, nil)
	linkRefusedIn = prometheus.NewDesc("taxsms_link_inbound_refused_total", "Inbound PDUs not stored (the gateway resends them).", linkLabels, nil)
	linkDescs     = []*prometheus.Desc{linkSessions, linkConnected, linkInFlight, linkWindow, linkSubmits, linkSegments, linkThrottled, linkErrors, linkDrops, linkReceipts, linkMO, linkRefusedIn}
)

// Collector exposes the health of a router's links to Prometheus.
type Collector struct{ r *Router }

// NewCollector returns a Collector of r's links.
func NewCollector(r *Router) Collector { return Collector{r} }

// Describe implements prometheus.Collector.
func (c Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range linkDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c Collector) Collect(ch chan<- prometheus.Metric) {
	for _, h := range c.r.Health() {
		l := []string{h.Name, string(h.Carrier), h.Protocol}
		gauge := func(d *prometheus.Desc, v int) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), l...)
		}
		counter := func(d *prometheus.Desc, v int64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
		}
		gauge(linkSessions, h.Sessions)
		gauge(linkConnected, h.Connected)
		gauge(linkInFlight, h.InFlight)
		gauge(linkWindow, h.Window)
		counter(linkSubmits, h.Submits)
		counter(linkSegments, h.Segments)
		counter(linkThrottled, h.Throttled)
		counter(linkErrors, h.Errors)
		counter(linkDrops, h.Drops)
		counter(linkReceipts, h.Receipts)
		counter(linkMO, h.MO)
		counter(linkRefusedIn, h.HandlerErrors)
	}
}
