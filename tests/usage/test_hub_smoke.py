from usage_fixtures import HOUR, MONDAY


def test_smoke(usage_hub):
    usage_hub.at(MONDAY + HOUR)
    usage_hub.started("free", "small")
    usage_hub.at(MONDAY + 3 * HOUR)
    usage_hub.stopped("free")
    records = usage_hub.store().of_user("free", 0)
    print(records)
    assert records[0].started == MONDAY + HOUR and records[0].stopped == MONDAY + 3 * HOUR
