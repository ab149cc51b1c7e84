package dispatch

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"taxsms"
	"taxsms/carrier"
	"taxsms/store"
)

// Metrics are the dispatcher's Prometheus metrics. A nil *Metrics counts
// nothing.
type Metrics struct {
	Claimed       prometheus.Counter
	Submitted     *prometheus.CounterVec // by carrier, link
	Segments      *prometheus.CounterVec // by carrier, link
	Outcomes      *prometheus.CounterVec // by status (scheduled, failed, rejected)
	Receipts      *prometheus.CounterVec // by stat word
	ReceiptsHeld  prometheus.Counter
	MO            *prometheus.CounterVec // by result (fragment, message, duplicate)
	Requeued      prometheus.Counter
	QueueToSubmit *prometheus.HistogramVec // by priority
	SubmitLatency prometheus.Histogram
}

// NewMetrics makes the metrics and registers them, with a collector of the
// outbox's depth by priority read from db at each scrape, on reg.
func NewMetrics(reg prometheus.Registerer, db *store.DB) *Metrics {
	m := &Metrics{
		Claimed:      prometheus.NewCounter(prometheus.CounterOpts{Name: "taxsms_claimed_total", Help: "Messages claimed from the outbox."}),
		Submitted:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taxsms_submitted_total", Help: "Messages accepted by a carrier."}, []string{"carrier", "link"}),
		Segments:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taxsms_segments_total", Help: "Segments accepted by a carrier."}, []string{"carrier", "link"}),
		Outcomes:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taxsms_send_failures_total", Help: "Sends that did not submit, by the message's new status."}, []string{"status"}),
		Receipts:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taxsms_receipts_total", Help: "Status reports stored, by final status word."}, []string{"stat"}),
		ReceiptsHeld: prometheus.NewCounter(prometheus.CounterOpts{Name: "taxsms_receipts_held_total", Help: "Status reports that arrived before their segment was known, held to match later."}),
		MO:           prometheus.NewCounterVec(prometheus.CounterOpts{Name: "taxsms_mo_total", Help: "Inbound PDUs, by result."}, []string{"result"}),
		Requeued:     prometheus.NewCounter(prometheus.CounterOpts{Name: "taxsms_requeued_total", Help: "Messages queued again after their claim lapsed (node crash): each may go twice."}),
		QueueToSubmit: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "taxsms_queue_to_submit_seconds", Help: "Time from queueing to the carrier's acceptance.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 16)}, []string{"priority"}),
		SubmitLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "taxsms_submit_seconds", Help: "Time a carrier takes to answer a submit.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
	}
	reg.MustRegister(m.Claimed, m.Submitted, m.Segments, m.Outcomes, m.Receipts, m.ReceiptsHeld, m.MO, m.Requeued, m.QueueToSubmit, m.SubmitLatency)
	reg.MustRegister(outboxCollector{db})
	return m
}

func (m *Metrics) claimed(n int) {
	if m != nil {
		m.Claimed.Add(float64(n))
	}
}

func (m *Metrics) submitted(c store.Claimed, r carrier.Result, queued, submit time.Duration) {
	if m == nil {
		return
	}
	m.Submitted.WithLabelValues(string(r.Carrier), r.Link).Inc()
	m.Segments.WithLabelValues(string(r.Carrier), r.Link).Add(float64(len(r.Parts)))
	m.QueueToSubmit.WithLabelValues(strconv.Itoa(int(c.Priority))).Observe((queued + submit).Seconds())
	m.SubmitLatency.Observe(submit.Seconds())
}

func (m *Metrics) outcome(s taxsms.Status) {
	if m != nil {
		m.Outcomes.WithLabelValues(string(s)).Inc()
	}
}

func (m *Metrics) receipts(rs []store.Receipt, held int) {
	if m == nil {
		return
	}
	for _, r := range rs {
		m.Receipts.WithLabelValues(r.Stat).Inc()
	}
	m.ReceiptsHeld.Add(float64(held))
}

func (m *Metrics) mo(dup, message bool) {
	if m == nil {
		return
	}
	switch {
	case dup:
		m.MO.WithLabelValues("duplicate").Inc()
	case message:
		m.MO.WithLabelValues("message").Inc()
	default:
		m.MO.WithLabelValues("fragment").Inc()
	}
}

func (m *Metrics) requeued(n int) {
	if m != nil {
		m.Requeued.Add(float64(n))
	}
}

var (
	queueDepth = prometheus.NewDesc("taxsms_queue_depth", "Messages queued for sending, by priority (0 replies … 3 broadcasts).", []string{"priority"}, nil)
	unmatched  = prometheus.NewDesc("taxsms_receipts_unmatched", "Status reports kept that match no message.", nil, nil)
)

// outboxCollector reads the outbox's state at each scrape.
type outboxCollector struct{ db *store.DB }

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDepth; ch <- unmatched }

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.db.Outbox(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDepth, err)
		return
	}
	for p := taxsms.PriorityInteractive; p <= taxsms.PriorityBulk; p++ {
		ch <- prometheus.MustNewConstMetric(queueDepth, prometheus.GaugeValue, float64(st.Queued[p]), strconv.Itoa(int(p)))
	}
	ch <- prometheus.MustNewConstMetric(unmatched, prometheus.GaugeValue, float64(st.Unmatched))
}
