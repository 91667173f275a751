from pipeline.dedup.keys import exact_key, exact_survivor_rank, node_key, url_survivor_rank
from pipeline.document import Document


def test_node_keys_order_by_id_and_separate_documents_sharing_an_id():
    a, b = Document("a", "web", "text one"), Document("b", "web", "text one")
    same_id = Document("a", "web", "another text")
    assert node_key(a) < node_key(b)
    assert node_key(a) != node_key(same_id) and node_key(a)[0] == node_key(same_id)[0]
    assert node_key(a) == node_key(Document("a", "web", "text one", url="https://x"))


def test_url_survivor_is_longest_then_smallest_id():
    docs = [Document("b", "s", "long text"), Document("a", "s", "short"), Document("c", "s", "long text")]
    assert min(docs, key=url_survivor_rank).id == "b"
    assert min(docs[::-1], key=url_survivor_rank).id == "b"


def test_exact_duplicates_share_a_key_and_the_smallest_id_survives():
    docs = [Document("b", "s", "Same  Text"), Document("a", "t", "same text"), Document("c", "s", "same text ")]
    assert len({exact_key(d.text) for d in docs}) == 1
    assert min(docs, key=exact_survivor_rank).id == "a"
    assert min(docs[::-1], key=exact_survivor_rank).id == "a"
