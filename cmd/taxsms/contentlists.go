package main

import (
	"context"
	"time"
)

// contentEvery is how often a node looks whether the content lists changed.
const contentEvery = 30 * time.Second

// loadContent puts in force the content lists stored in the database.
// It returns the version loaded.
func (m *Main) loadContent(ctx context.Context) (string, error) {
	v, err := m.DB.ContentListsVersion(ctx)
	if err != nil {
		return "", err
	}
	lists, err := m.DB.ContentLists(ctx)
	if err != nil {
		return "", err
	}
	c, err := lists.Checker()
	if err != nil {
		return "", err
	}
	m.Content.Set(c)
	return v, nil
}

// watchContent reloads the content lists whenever another node saved one,
// until ctx ends; loaded is the version in force when it starts.
func (m *Main) watchContent(ctx context.Context, loaded string) {
	t := time.NewTicker(contentEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, err := m.DB.ContentListsVersion(ctx)
		if err == nil && v != loaded {
			v, err = m.loadContent(ctx)
			if err == nil {
				loaded = v
				m.Logger.Info("content lists reloaded", "version", v)
			}
		}
		if err != nil && ctx.Err() == nil {
			m.Logger.Warn("content lists", "err", err)
		}
	}
}
