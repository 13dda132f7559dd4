class Difference: pass
def verify_results(): pass
