def test_me_returns_the_caller(api, requester):
    response = api(requester).get("users/me")
    assert response.status_code == 200
    assert response.json()["email"] == "rita@example.com"
