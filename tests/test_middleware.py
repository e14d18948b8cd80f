def test_a_session_cookie_with_a_nul_byte_is_refused_not_a_500(client, db):
    client.cookies["sessionid"] = "abc\x00def"
    response = client.get("/")
    assert response.status_code == 400
    assert b"NUL byte" in response.content


def test_ordinary_cookies_pass(client, db):
    client.cookies["sessionid"] = "no-such-session"
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get("/").status_code == 200
