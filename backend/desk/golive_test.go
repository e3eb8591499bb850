package desk

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/mail"
	"gatehouse/backend/poll"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/store"
	"gatehouse/backend/session"
	"gatehouse/backend/sso/ssotest"
)

// Going live: the work done on the local portal is carried to a real portal server started
// here, once the administrator signed in to it; what the server has already is left alone,
// carrying twice adds nothing twice, and a wrong address changes nothing.
func TestGoLiveCarriesLocalWork(t *testing.T) {
	e := newSignInEnv(t, nil)
	ctx := context.Background()
	a := e.app

	// Local work: two organisations, three contacts (one the server knows already by its
	// address), the approved message reworded, and the demo data, which is never carried.
	if _, err := a.LoadDemoData(); err != nil {
		t.Fatal(err)
	}
	base, token, ok := a.EmbeddedPortal()
	if !ok {
		t.Fatal("no local portal")
	}
	lp := client.New(base, token)
	east, err := lp.CreateOrganization(ctx, portal.Organization{ID: "org_eastgate", Name: "Eastgate Pantry", Type: "pantry"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	west, err := lp.CreateOrganization(ctx, portal.Organization{ID: "org_westgate", Name: "Westgate Council", Type: "council"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []portal.Contact{
		{ID: "con_ann", OrganizationID: east.ID, FullName: "Ann Reed", Email: "ann.reed@eastgate.example.org"},
		{ID: "con_bob", OrganizationID: west.ID, FullName: "Bob Lane", Email: "bob.lane@westgate.example.org"},
		{ID: "con_cy", OrganizationID: west.ID, FullName: "Cy Moss", Email: "CY.MOSS@westgate.example.org"},
	} {
		if _, err := lp.CreateContact(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.SyncNow(); err != nil {
		t.Fatal(err)
	}
	approved := "Welcome to @system.ProductName@, @UserName@.\n\nSign in: @SignInUrl@\n"
	if _, err := a.SaveTemplate(mail.KeyApproved, "You are in", approved); err != nil {
		t.Fatal(err)
	}

	// The server already has Westgate Council (another ID) and Cy Moss's address.
	err = e.srv.Store().Update(ctx, func(tx store.Tx) error {
		o := portal.Organization{ID: "org_w_server", Name: "westgate  council", Type: "council", CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := tx.PutOrganization(ctx, &o); err != nil {
			return err
		}
		c := portal.Contact{ID: "con_cy_server", OrganizationID: o.ID, FullName: "Cy Moss", Email: "cy.moss@westgate.example.org", CreatedAt: time.Now(), UpdatedAt: time.Now()}
		return tx.PutContact(ctx, &c)
	})
	if err != nil {
		t.Fatal(err)
	}

	// A wrong address: refused at its field, and nothing changes.
	wrong := fmt.Sprintf("http://127.0.0.1:%d", ssotest.FreePort(t))
	if _, err := a.GoLivePlan(wrong); portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(portal.ErrorMessage(err), "stays as it was") {
		t.Fatalf("GoLivePlan(%s) = %v", wrong, err)
	}
	if _, err := a.GoLive(session.Settings{ServerURL: wrong, Issuer: e.issuer, ClientID: ssotest.ClientID}, true); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("GoLive(%s) = %v", wrong, err)
	}
	// A sign-in the server refuses (an account it does not know) leaves it all as it was.
	e.browser.set("stranger@example.org", false)
	if _, err := a.GoLive(session.Settings{ServerURL: e.url, Issuer: e.issuer, ClientID: ssotest.ClientID}, true); err != nil {
		t.Fatal(err)
	}
	if done := e.ev.done(t); done.OK || done.Error == nil {
		t.Fatalf("a stranger's sign-in: %+v", done)
	}
	<-e.browser.done
	e.browser.set(adminEmail, false)
	if st, _ := a.SyncStatus(); st.Mode != ModeEmbedded {
		t.Fatalf("after a refused sign-in the mode is %q", st.Mode)
	}
	if st, _ := a.SyncStatus(); st.Mode != ModeEmbedded {
		t.Fatalf("after a wrong address the mode is %q", st.Mode)
	}
	if gs, _ := a.GoLiveStatus(); gs.Waiting || gs.Result != nil {
		t.Fatalf("a carry is recorded after a wrong address: %+v", gs)
	}

	// The plan says what goes and what does not, before anything changes.
	plan, err := a.GoLivePlan(e.url)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Organizations != 2 || plan.Contacts != 3 || len(plan.Messages) != 1 || plan.Demo == 0 || plan.Accounts == 0 || plan.Invitations == 0 {
		t.Fatalf("plan: %+v", plan)
	}
	if !strings.Contains(strings.Join(plan.NotCarried, " "), "links point at this computer") {
		t.Errorf("the plan does not say why invitations stay: %q", plan.NotCarried)
	}

	// Going live begins with the sign-in to the server; Gatehouse stays on the local portal
	// until the server accepted it.
	start, err := a.GoLive(session.Settings{ServerURL: e.url, Issuer: e.issuer, ClientID: ssotest.ClientID}, true)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := e.ev.next(t, EventSignInURL).(session.URLEvent); !ok || u.AuthURL != start.AuthURL {
		t.Fatalf("signin:url = %+v, GoLive = %+v", u, start)
	}
	if done := e.ev.done(t); !done.OK {
		t.Fatalf("sign-in: %+v", done)
	}
	if err := <-e.browser.done; err != nil {
		t.Fatalf("the browser: %v", err)
	}
	if st, _ := a.SyncStatus(); st.Mode != ModeRemote || st.ServerURL != e.url || st.NeedsSignIn {
		t.Fatalf("after the sign-in: %+v", st)
	}
	var res GoLiveResult
	poll.Until(60*time.Second, func() bool {
		if _, err := a.SyncNow(); err != nil {
			t.Fatal(err)
		}
		if res, err = a.GoLiveStatus(); err != nil {
			t.Fatal(err)
		}
		return res.Result != nil
	})
	r := res.Result
	if r == nil || r.Organizations != 1 || r.Contacts != 2 || r.AlreadyThere != 2 || r.Messages != 1 || len(r.Refused) != 0 {
		t.Fatalf("carry: %+v", res)
	}
	// Sent: the server has them, the contacts in the right organisations.
	if _, err := a.SyncNow(); err != nil {
		t.Fatal(err)
	}
	remote := client.New(e.url, e.token(t))
	check := func() {
		t.Helper()
		orgs, err := remote.Organizations(ctx, client.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range orgs.Items {
			names = append(names, o.Name)
		}
		if len(orgs.Items) != 2 {
			t.Fatalf("the server's organisations: %q", names)
		}
		for id, org := range map[string]string{"con_ann": "org_eastgate", "con_bob": "org_w_server", "con_cy_server": "org_w_server"} {
			c, err := remote.Contact(ctx, id)
			if err != nil || c.OrganizationID != org {
				t.Fatalf("the server's contact %s: %+v, %v (want it in %s)", id, c, err, org)
			}
		}
		if _, err := remote.Contact(ctx, "con_cy"); err == nil {
			t.Fatal("Cy Moss was added twice")
		}
		tpl, err := remote.Template(ctx, mail.KeyApproved)
		if err != nil || tpl.Subject != "You are in" || tpl.Body != approved {
			t.Fatalf("the server's approved message: %+v, %v", tpl, err)
		}
	}
	check()

	// Carrying again (a crash before the result was kept) adds nothing.
	db, _ := a.cache()
	if err := db.SetSetting(ctx, goLivePending, pendingCarry{ServerURL: e.url, PortalPath: a.embeddedPortalPath(db), ChosenAt: a.cfg.Clock.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := a.carryIfDue(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SyncNow(); err != nil {
		t.Fatal(err)
	}
	check()
}
