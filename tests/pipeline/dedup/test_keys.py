from pipeline.dedup.keys import doc_join_key, node_key
from pipeline.document import Document


def test_node_keys_order_by_id_and_separate_documents_sharing_an_id():
    a, b = Document("a", "web", "text one"), Document("b", "web", "text one")
    same_id = Document("a", "web", "another text")
    assert node_key(a) < node_key(b)
    assert node_key(a) != node_key(same_id) and node_key(a)[0] == node_key(same_id)[0]
    assert node_key(a) == node_key(Document("a", "web", "text one", url="https://x"))


def test_document_join_key_is_stable_and_depends_on_source_id_and_text():
    doc = Document("a", "web", "text")
    assert doc_join_key(doc) == doc_join_key(Document("a", "web", "text"))
    assert len({doc_join_key(d) for d in (doc, Document("a", "books", "text"), Document("b", "web", "text"),
                                          Document("a", "web", "text!"))}) == 4
