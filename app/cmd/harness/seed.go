package main

import (
	"context"
	"fmt"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/store"
)

// seedBatch is how many accounts go into one transaction of the portal's store: large
// enough that 100,000 accounts take seconds, small enough to keep each commit short.
const seedBatch = 10_000

// seedOrganisations is how many organisations the seeded accounts spread over.
const seedOrganisations = 50

// seedUsers writes n accounts (and the organisations they belong to) straight into the
// embedded portal's database at path before the App starts it, for the browser tests that
// need a big table: going through the portal's API would take minutes. Accounts are
// acc_seed_0000000…; their addresses person000000@bulkK.example.org, so a test can
// search for one. Statuses, kinds and last logins are spread so the filters have work.
func seedUsers(ctx context.Context, path string, n, batch int, now time.Time) error {
	st, err := store.Open(ctx, path, portal.SystemClock{})
	if err != nil {
		return fmt.Errorf("open the portal database %s to seed it: %w", path, err)
	}
	defer st.Close()
	err = st.Update(ctx, func(tx store.Tx) error {
		for i := range seedOrganisations {
			o := seedOrg(i, now)
			if err := tx.PutOrganization(ctx, &o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed organisations into %s: %w", path, err)
	}
	for start := 0; start < n; start += batch {
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				a := seedAccount(i, now)
				if err := tx.PutAccount(ctx, &a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed accounts %d to %d into %s: %w", start, min(start+batch, n)-1, path, err)
		}
	}
	return st.Close()
}

func seedOrg(i int, now time.Time) portal.Organization {
	return portal.Organization{ID: fmt.Sprintf("org_seed_%03d", i), Name: fmt.Sprintf("Seeded Organisation %d", i),
		Type: "pantry", Member: true, CreatedAt: now, UpdatedAt: now}
}

func seedAccount(i int, now time.Time) portal.Account {
	a := portal.Account{
		ID:             fmt.Sprintf("acc_seed_%07d", i),
		OrganizationID: fmt.Sprintf("org_seed_%03d", i%seedOrganisations),
		Email:          fmt.Sprintf("person%06d@bulk%d.example.org", i, i%9),
		Name:           fmt.Sprintf("Seeded Person %d", i),
		Status:         portal.StatusActive,
		Kind:           portal.KindStaff,
		CoreRole:       portal.RoleStaff,
		Source:         "sso.example.org",
		Subject:        fmt.Sprintf("seed-%d", i),
		// Complete, so that the seeded clients are not ghost accounts.
		RegistrationComplete: true,
		AdditionalRoles:      []string{},
		CreatedAt:            now,
		UpdatedAt:            now,
	}
	switch i % 10 {
	case 0:
		a.Status = portal.StatusPending
	case 1, 2, 3:
		a.Kind, a.CoreRole, a.ClientRecord = portal.KindClient, "", true
	case 4:
		a.Status = portal.StatusInvited
		a.Source, a.Subject = "invitation", ""
	case 5:
		a.Status = portal.StatusDeactivated
	}
	if i%7 != 0 && a.Status != portal.StatusPending && a.Status != portal.StatusInvited {
		login := now.Add(-time.Duration(i%4000) * time.Hour)
		a.LastLoginAt = &login
	}
	return a
}
